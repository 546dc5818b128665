import Dispatch
import Randomness

/// Settings of a single-model training run.
public struct TrainingOptions: Codable, Sendable, Equatable, Hashable {
  /// Sequences per optimiser step.
  public var batchSize: Int
  /// Tokens per sequence (at most the model's context).
  public var sequenceLength: Int
  public var schedule: LearningRateSchedule
  public var optimizer: OptimizerConfig
  /// Clip the global gradient norm to this value (nil: no clipping).
  public var gradientClip: Float?
  public var seed: UInt64
  /// The batch is split into this many equal shards, each with its own activation arena, run in
  /// parallel when the trainer has several workers; gradients are summed in shard order, so the
  /// result depends on the shard count but never on the number of threads.
  public var shards: Int = 1

  public init(
    batchSize: Int = 16, sequenceLength: Int, schedule: LearningRateSchedule = .constant(1e-3),
    optimizer: OptimizerConfig = .adamW(), gradientClip: Float? = 1.0, seed: UInt64 = 0
  ) {
    self.batchSize = batchSize
    self.sequenceLength = sequenceLength
    self.schedule = schedule
    self.optimizer = optimizer
    self.gradientClip = gradientClip
    self.seed = seed
  }
}

/// Trains either an adapter on a frozen base (LoRA) or the base itself (full-parameter), with
/// preallocated workspaces: the step loop does not allocate.
public final class Trainer {
  public let model: DecoderLM
  public let weights: ParameterSet
  public let adapter: Adapter?
  public let options: TrainingOptions
  /// The parameters being trained (the adapter's when there is one) and their gradients.
  public let trainable: ParameterSet
  public let gradients: ParameterSet
  public private(set) var optimizer: any Optimizer
  public private(set) var step = 0
  /// The RNG coordinate of this trainer (a federated client's id).
  public let client: UInt32
  /// Threads running shards at once (never changes results).
  public let workers: Int
  let workspaces: [Workspace]
  /// Gradient buffers of shards 1..<shards (shard 0 writes into `gradients`).
  let shardGradients: [ParameterSet]
  /// Where each shard writes its gradients: `gradients`, then `shardGradients`.
  let shardDestinations: [ParameterSet]
  var inputs: [Int32]
  var targets: [Int32]

  public init(
    model: DecoderLM, weights: ParameterSet, adapter: Adapter?, options: TrainingOptions, client: UInt32 = 0,
    workers: Int = 1
  ) throws(ModelError) {
    guard options.batchSize > 0 else {
      throw .invalidConfig(field: "batch_size", value: "\(options.batchSize)", expected: "a positive integer")
    }
    guard options.shards > 0 && options.batchSize % options.shards == 0 else {
      throw .invalidConfig(
        field: "shards", value: "\(options.shards)", expected: "a positive divisor of the batch size \(options.batchSize)")
    }
    guard workers > 0 else { throw .invalidConfig(field: "workers", value: "\(workers)", expected: "a positive integer") }
    guard options.sequenceLength > 0 && options.sequenceLength <= model.config.contextLength else {
      throw .invalidConfig(
        field: "sequence_length", value: "\(options.sequenceLength)", expected: "1 ... \(model.config.contextLength) (the model's context)")
    }
    try adapter?.config.validate()
    self.model = model
    self.weights = weights
    self.adapter = adapter
    self.options = options
    self.client = client
    trainable = adapter?.parameters ?? weights
    gradients = ParameterSet(layout: trainable.layout)
    optimizer = options.optimizer.make(for: trainable.layout)
    self.workers = workers
    workspaces = (0..<options.shards).map { _ in
      Workspace(
        config: model.config, lora: adapter?.config, batchSize: options.batchSize / options.shards,
        sequenceLength: options.sequenceLength)
    }
    let layout = trainable.layout
    shardGradients = (1..<max(options.shards, 1)).map { _ in ParameterSet(layout: layout) }
    shardDestinations = [gradients] + shardGradients
    inputs = [Int32](repeating: 0, count: options.batchSize * options.sequenceLength)
    targets = inputs
  }

  /// Bytes of the activation arena.
  public var workspaceBytes: Int { workspaces.reduce(0) { $0 + $1.byteCount } }

  /// One optimiser step on a batch of random windows; returns the batch loss.
  @discardableResult
  public func trainStep(on windows: TokenWindows) throws(ModelError) -> LossSum {
    guard windows.length == options.sequenceLength else {
      throw .badBatch("windows of \(windows.length) tokens for a trainer of \(options.sequenceLength)")
    }
    guard windows.canSample else {
      throw .badBatch("the training text has \(windows.tokens.count) tokens, fewer than one window of \(windows.length) + 1")
    }
    var batchStream = RandomStream(seed: options.seed, purpose: .batches, client: client, step: UInt32(truncatingIfNeeded: step))
    let batch = options.batchSize
    inputs.withUnsafeMutableBufferPointer { i in
      targets.withUnsafeMutableBufferPointer { t in
        windows.sample(batch: batch, inputs: i.baseAddress!, targets: t.baseAddress!, stream: &batchStream)
      }
    }
    return try trainStep(inputs: inputs, targets: targets)
  }

  /// One optimiser step on an explicit batch ((batch, sequence) inputs and targets).
  @discardableResult
  public func trainStep(inputs: [Int32], targets: [Int32]) throws(ModelError) -> LossSum {
    let rows = options.batchSize * options.sequenceLength
    guard inputs.count == rows && targets.count == rows else {
      throw .badBatch("\(inputs.count) inputs and \(targets.count) targets for a batch of \(options.batchSize)×\(options.sequenceLength)")
    }
    gradients.zero()
    for shard in shardGradients { shard.zero() }
    let predicted = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
    let shards = options.shards, shardRows = rows / shards
    let model = self.model, weights = self.weights, adapter = self.adapter, workspaces = self.workspaces
    let destinations = shardDestinations
    let isAdapter = adapter != nil
    let seed = options.seed, client = self.client, step = UInt32(truncatingIfNeeded: self.step)
    let results = ShardResults(count: shards)
    let runShard: @Sendable (Int) -> Void = { shard in
      // Shard 0 uses the stream an unsharded trainer uses, so `shards: 1` is the plain step.
      var dropout = RandomStream(seed: seed, purpose: .dropout, client: client, round: UInt32(shard), step: step)
      let grads = isAdapter ? DecoderLM.Gradients(adapter: destinations[shard]) : DecoderLM.Gradients(base: destinations[shard])
      let range = (shard * shardRows)..<((shard + 1) * shardRows)
      let outcome = inputs.withUnsafeBufferPointer { allInputs in
        targets.withUnsafeBufferPointer { allTargets -> Result<LossSum, ModelError> in
          do throws(ModelError) {
            return .success(
              try model.forwardBackward(
                weights: weights, adapter: adapter, tokens: UnsafeBufferPointer(rebasing: allInputs[range]),
                targets: UnsafeBufferPointer(rebasing: allTargets[range]), workspace: workspaces[shard], gradients: grads,
                dropoutStream: &dropout, lossNormalizer: max(predicted, 1)))
          } catch { return .failure(error) }
        }
      }
      results.set(shard, outcome)
    }
    if workers > 1 && shards > 1 {
      DispatchQueue.concurrentPerform(iterations: shards, execute: runShard)
    } else {
      for shard in 0..<shards { runShard(shard) }
    }
    var loss = LossSum()
    for shard in 0..<shards {
      switch results.get(shard) {
      case .success(let value): loss = loss + value
      case .failure(let error): throw error
      }
    }
    // Sum the shards' gradients in a fixed order.
    let total = gradients.storage
    for shard in shardGradients {
      for i in 0..<total.count { total.pointer[i] += shard.storage.pointer[i] }
    }
    // A non-finite loss or gradient would poison every parameter: stop before the update.
    guard loss.mean.isFinite else { throw .nonFinite(step: self.step + 1, what: "the training loss (\(loss.mean))") }
    if let bad = gradients.firstNonFiniteTensor() { throw .nonFinite(step: self.step + 1, what: "the gradient of \(bad)") }
    if let clip = options.gradientClip { clipGradientNorm(gradients, maxNorm: clip) }
    optimizer.step(parameters: trainable, gradients: gradients, learningRate: options.schedule.rate(at: self.step))
    self.step += 1
    return loss
  }
}

/// Per-shard outcomes written from worker threads.
final class ShardResults: @unchecked Sendable {
  // @unchecked Sendable: each slot is written by one shard and read after all have finished.
  private var slots: [Result<LossSum, ModelError>]
  init(count: Int) { slots = Array(repeating: .success(LossSum()), count: count) }
  func set(_ index: Int, _ value: Result<LossSum, ModelError>) {
    slots.withUnsafeMutableBufferPointer { $0[index] = value }
  }
  func get(_ index: Int) -> Result<LossSum, ModelError> { slots[index] }
}
