import Randomness

/// A Llama-style decoder-only language model: token embedding, `layers` pre-norm blocks of
/// causal grouped-query attention with rotary positions and a SwiGLU MLP, a final RMSNorm and a
/// (tied or untied) LM head. It holds no weights: the frozen base weights, an optional adapter and
/// the gradients are passed in, so one base model can serve every client.
public struct DecoderLM: Sendable {
  public let config: ModelConfig
  let rope: RotaryEmbedding

  public init(config: ModelConfig) throws(ModelError) {
    try config.validate()
    self.config = config
    rope = RotaryEmbedding(headDim: config.headDim, maxPositions: config.contextLength, theta: config.ropeTheta)
  }

  /// Where gradients go. A nil destination is not computed (a frozen base, or no adapter).
  public struct Gradients {
    public var base: ParameterSet?
    public var adapter: ParameterSet?

    public init(base: ParameterSet? = nil, adapter: ParameterSet? = nil) {
      self.base = base
      self.adapter = adapter
    }
  }

  /// Forward pass and loss over a batch, without gradients. Logits stay in `workspace.logits`
  /// unless `targets` is given, in which case they are consumed by the loss.
  @discardableResult
  public func forward(
    weights: ParameterSet, adapter: Adapter?, tokens: UnsafeBufferPointer<Int32>,
    targets: UnsafeBufferPointer<Int32>?, workspace: Workspace
  ) throws(ModelError) -> LossSum {
    try check(tokens: tokens, targets: targets, workspace: workspace, adapter: adapter)
    var noDropout = RandomStream(seed: 0, purpose: .dropout)
    runForward(
      weights: weights, adapter: adapter, tokens: tokens, workspace: workspace, training: false,
      dropoutStream: &noDropout)
    guard let targets else { return LossSum() }
    return crossEntropy(
      logits: workspace.logits, targets: targets.baseAddress!, rows: workspace.rows,
      vocab: config.vocabSize, gradientScale: nil)
  }

  /// Forward, mean cross-entropy loss and backward. Gradients are added (+=) into `gradients`,
  /// so several calls accumulate; callers zero them between optimiser steps. The gradient is that
  /// of the loss summed over predicted tokens and divided by `lossNormalizer` (default: this
  /// batch's predicted tokens, i.e. the mean) — shards of one batch pass the whole batch's count.
  @discardableResult
  public func forwardBackward(
    weights: ParameterSet, adapter: Adapter?, tokens: UnsafeBufferPointer<Int32>,
    targets: UnsafeBufferPointer<Int32>, workspace: Workspace, gradients: Gradients,
    dropoutStream: inout RandomStream, lossNormalizer: Int? = nil
  ) throws(ModelError) -> LossSum {
    try check(tokens: tokens, targets: targets, workspace: workspace, adapter: adapter)
    guard workspace.keepsActivations else { throw .badBatch("the workspace was made for inference only") }
    if let base = gradients.base, base.layout != weights.layout {
      throw .badBatch("base gradient layout does not match the weights")
    }
    if let grads = gradients.adapter, grads.layout != adapter?.parameters.layout {
      throw .badBatch("adapter gradient layout does not match the adapter")
    }
    runForward(
      weights: weights, adapter: adapter, tokens: tokens, workspace: workspace, training: true,
      dropoutStream: &dropoutStream)
    var predicted = 0
    for target in targets where target != ignoreIndex { predicted += 1 }
    if let lossNormalizer { predicted = lossNormalizer }
    let loss = crossEntropy(
      logits: workspace.logits, targets: targets.baseAddress!, rows: workspace.rows,
      vocab: config.vocabSize, gradientScale: predicted > 0 ? 1 / Float(predicted) : 0)
    runBackward(weights: weights, adapter: adapter, tokens: tokens, workspace: workspace, gradients: gradients)
    return loss
  }

  private func check(
    tokens: UnsafeBufferPointer<Int32>, targets: UnsafeBufferPointer<Int32>?, workspace: Workspace,
    adapter: Adapter?
  ) throws(ModelError) {
    guard workspace.config == config else { throw .badBatch("the workspace was made for another model config") }
    guard workspace.sequenceLength <= config.contextLength else {
      throw .badBatch("sequence length \(workspace.sequenceLength) exceeds the context \(config.contextLength)")
    }
    guard tokens.count == workspace.rows else {
      throw .badBatch("\(tokens.count) tokens for a workspace of \(workspace.batchSize)×\(workspace.sequenceLength)")
    }
    if let targets, targets.count != tokens.count {
      throw .badBatch("\(targets.count) targets for \(tokens.count) tokens")
    }
    guard workspace.lora == adapter?.config else {
      throw .badBatch("the workspace was made for another adapter config")
    }
    for token in tokens where token < 0 || Int(token) >= config.vocabSize {
      throw .tokenOutOfRange(token: Int(token), vocabularySize: config.vocabSize)
    }
    if let targets {
      for target in targets where target != ignoreIndex && (target < 0 || Int(target) >= config.vocabSize) {
        throw .tokenOutOfRange(token: Int(target), vocabularySize: config.vocabSize)
      }
    }
  }
}
