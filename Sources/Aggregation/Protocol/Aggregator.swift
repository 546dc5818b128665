import Foundation
import Randomness
import StateArchive

/// Who talks to whom in a round.
public enum Communication: Sendable, Equatable {
  /// Clients send to a server, which sends a model back.
  case server
  /// Clients exchange with their graph neighbours.
  case neighbours
  /// Nobody communicates: every client trains alone.
  case none
}

/// How the clients' models start.
public enum ModelInitialisation: Sendable, Equatable {
  /// Every client starts from the same initial values (the usual federated setting).
  case shared
  /// Every client draws its own initial adapter (independent models, as the clients of
  /// Wagner et al. 2024 are); tasks without a random initialisation start alike anyway.
  case perClient
}

/// One client's shared parameters, as the receiver gets them.
///
/// `values` are the sender's model after its local training (the parameters themselves, not an
/// update or a difference from the round's start), restricted to the tensors the aggregator
/// shares (`shares(tensor:)`) and flattened in a fixed order, the same for every client. A
/// server aggregator that wants pseudo-gradients forms them as `global − values`.
public struct Contribution: Sendable, Equatable {
  public let client: Int
  /// The sender's trained shared tensors, flattened in a fixed order (the same for every client).
  public let values: [Float]
  /// Weight in a weighted mean (typically the client's number of training samples).
  public let weight: Double
  /// Model versions published since the client started (0 in synchronous rounds).
  public let staleness: Int

  public init(client: Int, values: [Float], weight: Double, staleness: Int = 0) {
    self.client = client
    self.values = values
    self.weight = weight
    self.staleness = staleness
  }
}

/// Where a shared tensor sits in a contribution's flat values.
public struct TensorSpan: Sendable, Equatable {
  public let name: String
  public let offset: Int
  /// Rows and columns of the matrix (a vector is one row).
  public let rows: Int
  public let columns: Int

  public init(name: String, offset: Int, rows: Int, columns: Int) {
    self.name = name
    self.offset = offset
    self.rows = rows
    self.columns = columns
  }
}

/// Where an aggregation's own numbers and warnings go: the round's record in metrics.jsonl
/// (`aggregator.<name>`) and the run's log. Thread-safe. FedSim gives each receiver that mixes
/// its own report and appends them in receiver order, so the round's numbers do not depend on
/// which thread or rank mixed first.
public final class AggregationReport: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var recorded: [(name: String, value: Double)] = []
  private var messages: [String] = []

  public init() {}

  /// Records a number; several values of one name in a round (one per receiver) are averaged.
  public func record(_ name: String, _ value: Double) {
    lock.lock()
    defer { lock.unlock() }
    recorded.append((name, value))
  }

  /// A warning for the run's log (the first few are shown, the rest counted).
  public func warn(_ message: String) {
    lock.lock()
    defer { lock.unlock() }
    messages.append(message)
  }

  /// The round's numbers: per name, the mean of what was recorded (summed in recording order).
  public var numbers: [String: Double] {
    lock.lock()
    defer { lock.unlock() }
    var sums: [String: (total: Double, count: Int)] = [:]
    for entry in recorded {
      let previous = sums[entry.name] ?? (0, 0)
      sums[entry.name] = (previous.total + entry.value, previous.count + 1)
    }
    return sums.mapValues { $0.total / Double($0.count) }
  }

  /// The numbers as recorded, in order.
  public var entries: [(name: String, value: Double)] {
    lock.lock()
    defer { lock.unlock() }
    return recorded
  }

  /// The warnings, in order.
  public var warnings: [String] {
    lock.lock()
    defer { lock.unlock() }
    return messages
  }

  /// Appends `other`'s numbers and warnings after this report's.
  public func append(contentsOf other: AggregationReport) {
    let (entries, warnings) = (other.entries, other.warnings)
    lock.lock()
    defer { lock.unlock() }
    recorded += entries
    messages += warnings
  }

  /// Whether nothing was recorded or warned.
  public var isEmpty: Bool {
    lock.lock()
    defer { lock.unlock() }
    return recorded.isEmpty && messages.isEmpty
  }
}

/// What an aggregator knows about the aggregation it performs.
public struct AggregationContext: Sendable, Equatable {
  public static func == (lhs: AggregationContext, rhs: AggregationContext) -> Bool {
    lhs.round == rhs.round && lhs.seed == rhs.seed && lhs.receiver == rhs.receiver && lhs.tensors == rhs.tensors
      && lhs.centralNoise == rhs.centralNoise
  }

  /// Where `record` and `warn` go (nil: nowhere, e.g. in a unit test without a run).
  public var report: AggregationReport? = nil

  /// Records a number for this round's record in metrics.jsonl, as `aggregator.<name>` (averaged
  /// over the receivers that record it in a round).
  public func record(_ name: String, _ value: Double) { report?.record(name, value) }

  /// A warning for the run's log (a short round, a skipped aggregation, …).
  public func warn(_ message: String) { report?.warn(message) }

  public let round: Int
  /// The run's seed: aggregators that draw random numbers derive their streams from it.
  public let seed: UInt64
  /// The client that combines (neighbour side); nil on a server.
  public let receiver: Int?
  /// The named tensors of the flat values (empty when the task has no tensor structure).
  public let tensors: [TensorSpan]
  /// Standard deviation of the Gaussian noise a central (`.central` privacy) aggregator adds to
  /// the sum of the contributions, in the contributions' units; 0 without privacy.
  public let centralNoise: Double

  public init(round: Int, seed: UInt64, receiver: Int? = nil, tensors: [TensorSpan] = [], centralNoise: Double = 0) {
    self.round = round
    self.seed = seed
    self.receiver = receiver
    self.tensors = tensors
    self.centralNoise = centralNoise
  }

  /// The aggregation's own random stream for `purpose`: fresh every round, the same on every
  /// run with the same seed.
  public func randomStream(_ purpose: StreamPurpose) -> RandomStream {
    RandomStream(
      seed: seed, purpose: purpose, client: UInt32(truncatingIfNeeded: receiver ?? 0xFFFF_FFFF), round: UInt32(truncatingIfNeeded: round))
  }
}

/// A federated aggregation rule: one type in one file, registered under a name that scenarios
/// use. It declares who communicates, which adapter tensors travel, and how the receiver combines
/// what it received; it never sees the event queue, the model internals or files.
///
/// A custom aggregator in another package:
/// ```swift
/// struct CoordinateMedian: Aggregator {
///   static let name = "median"
///   init(options: AggregatorOptions) throws(AggregatorError) { try options.rejectUnknown() }
///   var communication: Communication { .server }
///   mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) { … }
/// }
/// AggregatorRegistry.shared.register(CoordinateMedian.self)
/// ```
public protocol Aggregator: Sendable {
  /// The name scenarios use (`aggregator.name`).
  static var name: String { get }
  /// Builds the aggregator from `aggregator.options`, validating every option.
  init(options: AggregatorOptions) throws(AggregatorError)

  var communication: Communication { get }

  /// Whether a named adapter tensor is shared (default: all of them).
  func shares(tensor name: String) -> Bool

  /// The differential-privacy mechanism the clients and the receiver apply (default `.none`).
  /// Its parameters (clip, noise levels, δ) come from the scenario's `privacy` section.
  var privacy: PrivacyMechanism { get }

  /// How the clients' models start (default `.shared`).
  var initialisation: ModelInitialisation { get }

  /// What a receiver needs to know about the senders' models besides their values (default: nothing).
  var evidence: EvidenceRequest { get }

  /// Whether clients exchange in `round` (default: every round). Rounds without exchange are
  /// local training only: nothing is sent and nothing is mixed.
  func exchanges(round: Int) -> Bool

  /// Neighbour side: the weights the receiver gives itself and each sender, from the topology's
  /// mixing weights and the evidence. The default keeps the topology's weights. The result is
  /// used by `combine` and, when `recordsMixingWeights`, written to the run's metrics.
  func mixingWeights(_ input: MixingInput) -> MixingRow

  /// Whether the rows from `mixingWeights` are worth recording (personalised aggregators).
  var recordsMixingWeights: Bool { get }

  /// Server side, personalised: whether the server computes one model per client instead of one
  /// global model — each client that reported is a receiver that heard every reply of the round,
  /// with `mixingWeights` and `combine` (uniform topology weights), and gets its own model back.
  var personalisesOnServer: Bool { get }

  /// Server side, streaming: the weight of a contribution in a running weighted sum, or nil (the
  /// default) when the rule needs every contribution at once (a median, Krum). Aggregators that
  /// return a weight get `finish` called with the sum of the round's replies, folded in as they
  /// arrive, and the simulator does not hold the replies.
  func streamingWeight(of contribution: Contribution) -> Double?

  /// Server side, streaming: the new global values from the round's weighted sum.
  mutating func finish(_ sum: WeightedSum, global: inout [Float], context: AggregationContext)

  /// Client side: μ of FedProx's proximal term (μ/2)‖w − w_received‖² added to every local step's
  /// loss (Li et al. 2020); 0 (the default) trains on the plain loss.
  var proximalStrength: Double { get }

  /// Server side: the new global values from the current ones and the round's contributions.
  /// Aggregators with server state (momentum, adaptive moments) keep it in `self`.
  mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext)

  /// Neighbour side: a client's new values from its own and its neighbours', with the mixing
  /// weights of the topology (`selfWeight` plus the neighbours' weights sum to one).
  /// The default is the weighted sum x_i ← W_ii·x_i + Σ_j W_ij·x_j.
  func combine(own: [Float], selfWeight: Double, neighbours: [(contribution: Contribution, weight: Double)], context: AggregationContext)
    -> [Float]

  /// Checks the aggregator against the run before it starts (the default accepts every run):
  /// throw an `AggregatorError` naming the option that cannot work, and `fedsim validate` / `run`
  /// report it at that option in the scenario file.
  func validate(_ setup: AggregationSetup) throws(AggregatorError)

  /// State kept between rounds (server momentum, adaptive moments), written to checkpoints so a
  /// resumed run continues exactly. The default writes nothing: implement it, and
  /// `restore(from:)`, when the aggregator keeps state in `self`.
  func archive(to writer: inout ArchiveWriter)
  /// Reads what `archive(to:)` wrote, into an aggregator built from the same options.
  mutating func restore(from reader: inout ArchiveReader) throws(ArchiveError)
}

extension Aggregator {
  public func shares(tensor name: String) -> Bool { true }

  public var privacy: PrivacyMechanism { .none }

  public var evidence: EvidenceRequest { .none }

  public var initialisation: ModelInitialisation { .shared }

  public func exchanges(round: Int) -> Bool { true }

  public func mixingWeights(_ input: MixingInput) -> MixingRow { input.topology }

  public var recordsMixingWeights: Bool { false }

  public var personalisesOnServer: Bool { false }

  public func streamingWeight(of contribution: Contribution) -> Double? { nil }

  public mutating func finish(_ sum: WeightedSum, global: inout [Float], context: AggregationContext) {}

  public var proximalStrength: Double { 0 }

  public func validate(_ setup: AggregationSetup) throws(AggregatorError) {}

  public func archive(to writer: inout ArchiveWriter) {}

  public mutating func restore(from reader: inout ArchiveReader) throws(ArchiveError) {}

  public mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {}

  public func combine(
    own: [Float], selfWeight: Double, neighbours: [(contribution: Contribution, weight: Double)], context: AggregationContext
  )
    -> [Float]
  {
    weightedCombination(own: own, selfWeight: selfWeight, neighbours: neighbours)
  }
}

/// The default neighbour-side mix W_ii·x_i + Σ_j W_ij·x_j, accumulated in Float64 in the order of
/// `neighbours` (the simulator passes them sorted by client id) and rounded to Float once. An
/// aggregator that overrides `combine` (clipping the neighbours first, say) calls it to stay
/// bit-identical with the built-in gossip wherever it does not change the inputs.
public func weightedCombination(own: [Float], selfWeight: Double, neighbours: [(contribution: Contribution, weight: Double)]) -> [Float] {
  var mixed = own.map { Double($0) * selfWeight }
  for (contribution, weight) in neighbours {
    contribution.values.withUnsafeBufferPointer { values in
      for i in 0..<mixed.count { mixed[i] += weight * Double(values[i]) }
    }
  }
  return mixed.map { Float($0) }
}
