import Aggregation
import StateArchive

/// A model evaluated on one client's split.
struct ClientEvaluation: Sendable {
  /// Mean loss (nats per token for language models, the objective for convex tasks).
  var loss: Double
  /// Tokens or examples evaluated (0 when the split is empty).
  var count: Int
  var accuracy: Double?
  /// exp(loss) for language models.
  var perplexity: Double?
  /// A mixture of experts: per layer, the mean gate weight on generalists (1 − that on specialists).
  var generalistShare: [Double]? = nil
  /// The same per domain of the split's text (domain index → per layer), when it mixes domains.
  var generalistShareByDomain: [Int: [Double]]? = nil
}

/// Per-example clipping and noise for example-level differential privacy (DP-SGD inside local
/// training): every example's gradient is clipped to `clip`, the batch averaged, then
/// `addNoise(step, &gradient)` adds the mechanism's noise for local step `step` of the round.
struct ExampleLevelPrivacy: Sendable {
  let clip: Double
  /// An audit's gradient canary (the target client only).
  var canary: ExampleCanary? = nil
  let addNoise: @Sendable (_ step: Int, _ gradient: inout [Double]) -> Void
}

/// An audit's example-level gradient canary: example 0's clipped gradient is `value`·e along
/// `coordinate`, and the client's other examples have no component along e.
struct ExampleCanary: Sendable {
  let coordinate: Int
  let value: Double
}

/// The model-specific half of a federation: how one client trains, what its parameters are, how
/// they are evaluated. Everything about communication, aggregation and privacy lives in
/// `Federation`, the same for every model.
///
/// `train` and the evaluation methods run concurrently for different clients: they may mutate
/// only the given state and per-`worker` scratch.
protocol LocalLearner: AnyObject, Sendable {
  associatedtype State: AnyObject, Sendable
  /// Everything `train` changes in a state (values, optimiser state, step counters), so a round
  /// whose result is rejected can be undone.
  associatedtype Snapshot

  func snapshot(of state: State) -> Snapshot
  func restore(_ snapshot: Snapshot, to state: State)
  /// Writes what `snapshot` captures, for a checkpoint.
  func archive(_ state: State, to writer: inout ArchiveWriter)
  /// Reads what `archive` wrote into a fresh state of the same client.
  func restore(_ state: State, from reader: inout ArchiveReader) throws(ArchiveError)

  /// The named tensors of the flat values.
  var tensors: [TensorSpan] { get }
  /// Every client's starting values.
  var initialValues: [Float] { get }
  /// The step sizes a state's next round of local steps uses, averaged: the η that converts the
  /// round's update into a pseudo-gradient (before − after)/η for user-level privacy. It follows
  /// the learning-rate schedule from the state's own step counter.
  func roundStepSize(of state: State) -> Double
  var localSteps: Int { get }
  var batchSize: Int { get }

  /// A client's fresh state: the shared initial values, or its own draw when `ownInitialisation`.
  func makeState(client: Int, ownInitialisation: Bool) -> State
  func values(of state: State) -> [Float]
  func setValues(_ values: [Float], of state: State)

  /// The round's local steps on the client's training data. `anchor` and `proximal` add FedProx's
  /// (μ/2)‖w − anchor‖²; `privacy` turns each step into a DP-SGD step; `flipLabels` trains on
  /// flipped labels (a label-flip adversary). Returns metrics (train_loss).
  func train(
    client: Int, state: State, round: Int, worker: Int, anchor: [Float]?, proximal: Double, privacy: ExampleLevelPrivacy?,
    flipLabels: Bool
  ) -> [String: Double]

  /// Weight in sample-weighted averages: the client's number of training tokens or examples.
  func trainingWeight(client: Int) -> Double
  /// Examples a local step samples its batch from (the denominator of the sampling rate).
  func exampleCount(client: Int) -> Int
  func localWorkFLOPs(client: Int) -> Double
  var requiredMemoryBytes: Double { get }

  func evaluate(values: [Float], client: Int, split: String) -> ClientEvaluation
  /// The loss of a model on the receiver's fixed validation windows (validation-based trust).
  func validationLoss(values: [Float], receiver: Int) -> Double
  /// The model's top-k-sparsified predictions on the shared reference set (prediction-based
  /// trust), nil when the task has none.
  func predictions(values: [Float], request: EvidenceRequest, worker: Int) -> Predictions?
  /// The minimiser of the summed objective, when known (convex tasks).
  var optimum: [Double]? { get }
}

/// A model's logits at every reference position with all but the top k set to 0
/// ((positions, vocabulary) row-major), and what sending the sparse form costs.
struct Predictions: Sendable, Equatable {
  let positions: Int
  let vocabulary: Int
  let topK: Int
  let dense: [Float]

  /// Predictions as they were sent (a checkpoint's messages in flight).
  init(positions: Int, vocabulary: Int, topK: Int, dense: [Float]) {
    self.positions = positions
    self.vocabulary = vocabulary
    self.topK = topK
    self.dense = dense
  }

  /// Keeps the `topK` largest logits of each row.
  init(logits: UnsafePointer<Float>, positions: Int, vocabulary: Int, topK: Int) {
    self.positions = positions
    self.vocabulary = vocabulary
    self.topK = min(topK, vocabulary)
    var dense = [Float](repeating: 0, count: positions * vocabulary)
    for p in 0..<positions {
      let row = logits + p * vocabulary
      let kept = (0..<vocabulary).sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(self.topK)
      for v in kept { dense[p * vocabulary + v] = row[v] }
    }
    self.dense = dense
  }

  /// Index (2 bytes) and value (4 bytes) of each kept logit.
  var serializedBytes: Int { positions * topK * 6 }

  /// D_ij: the mean over positions of Σ_v |ℓ_i − ℓ_j|.
  func distance(to other: Predictions) -> Double {
    guard other.dense.count == dense.count, positions > 0 else { return .infinity }
    var total = 0.0
    for i in 0..<dense.count { total += Double(abs(dense[i] - other.dense[i])) }
    return total / Double(positions)
  }
}
