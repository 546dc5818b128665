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
/// one preallocated workspace: the step loop does not allocate.
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
  let workspace: Workspace
  var inputs: [Int32]
  var targets: [Int32]

  public init(model: DecoderLM, weights: ParameterSet, adapter: Adapter?, options: TrainingOptions, client: UInt32 = 0)
    throws(ModelError)
  {
    guard options.batchSize > 0 else { throw .invalidConfig(field: "batch_size", value: "\(options.batchSize)", expected: "a positive integer") }
    guard options.sequenceLength > 0 && options.sequenceLength <= model.config.contextLength else {
      throw .invalidConfig(field: "sequence_length", value: "\(options.sequenceLength)", expected: "1 ... \(model.config.contextLength) (the model's context)")
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
    workspace = Workspace(config: model.config, lora: adapter?.config, batchSize: options.batchSize,
                          sequenceLength: options.sequenceLength)
    inputs = [Int32](repeating: 0, count: options.batchSize * options.sequenceLength)
    targets = inputs
  }

  /// Bytes of the activation arena.
  public var workspaceBytes: Int { workspace.byteCount }

  /// One optimiser step on a batch of random windows; returns the batch loss.
  @discardableResult
  public func trainStep(on windows: TokenWindows) throws(ModelError) -> LossSum {
    guard windows.length == options.sequenceLength else {
      throw .badBatch("windows of \(windows.length) tokens for a trainer of \(options.sequenceLength)")
    }
    guard windows.canSample else { throw .badBatch("the training text has \(windows.tokens.count) tokens, fewer than one window of \(windows.length) + 1") }
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
    gradients.zero()
    var dropout = RandomStream(seed: options.seed, purpose: .dropout, client: client, step: UInt32(truncatingIfNeeded: step))
    let grads = adapter == nil ? DecoderLM.Gradients(base: gradients) : DecoderLM.Gradients(adapter: gradients)
    let loss = try withBatch(inputs, targets) { (i, t) throws(ModelError) in
      try model.forwardBackward(weights: weights, adapter: adapter, tokens: i, targets: t, workspace: workspace,
                                gradients: grads, dropoutStream: &dropout)
    }
    if let clip = options.gradientClip { clipGradientNorm(gradients, maxNorm: clip) }
    optimizer.step(parameters: trainable, gradients: gradients, learningRate: options.schedule.rate(at: step))
    step += 1
    return loss
  }
}
