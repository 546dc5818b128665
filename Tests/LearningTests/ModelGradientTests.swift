import Randomness
import Testing

@testable import Learning

/// Whole-model gradients against finite differences: a tiny grouped-query model with LoRA on
/// every projection (with and without dropout), and full-parameter training of a tied model.
@Suite struct ModelGradientTests {
  static let config = ModelConfig(vocabSize: 259, dim: 16, layers: 2, heads: 4, kvHeads: 2, ffnDim: 24, contextLength: 8)

  func batch(seed: UInt64) -> ([Int32], [Int32]) {
    var stream = RandomStream(seed: seed, purpose: .data)
    let tokens = (0..<16).map { _ in Int32(stream.nextInt(below: 259)) }
    var targets = (0..<16).map { _ in Int32(stream.nextInt(below: 259)) }
    targets[3] = ignoreIndex
    return (tokens, targets)
  }

  /// Entries spread over every tensor of a layout.
  func sampleEntries(_ layout: ParameterLayout, perTensor: Int, seed: UInt64) -> [Int] {
    var stream = RandomStream(seed: seed, purpose: .data)
    return layout.entries.flatMap { entry in (0..<perTensor).map { _ in entry.offset + stream.nextInt(below: entry.count) } }
  }

  @Test(arguments: [Float(0), 0.2])
  func loraGradients(dropout: Float) throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 1, std: 0.3)
    let lora = LoRAConfig(rank: 2, alpha: 4, dropout: dropout)
    let adapter = Adapter(config: lora, model: Self.config, seed: 2)
    // B starts at zero in PEFT's init, which would hide A's gradient: randomise it.
    let values = adapter.parameters.storage
    var stream = RandomStream(seed: 3, purpose: .data)
    for entry in adapter.parameters.layout.entries where entry.name.hasSuffix("lora_B.weight") {
      for i in entry.offset..<(entry.offset + entry.count) { values.pointer[i] = Float(stream.nextGaussian()) * 0.3 }
    }
    let (tokens, targets) = batch(seed: 4)
    let workspace = Workspace(config: Self.config, lora: lora, batchSize: 2, sequenceLength: 8)
    func loss(gradients: ParameterSet?) -> Double {
      var dropoutStream = RandomStream(seed: 5, purpose: .dropout)  // the same mask every time
      return try! withBatch(tokens, targets) { t, y in
        try model.forwardBackward(
          weights: weights, adapter: adapter, tokens: t, targets: y, workspace: workspace,
          gradients: .init(adapter: gradients ?? ParameterSet(layout: adapter.parameters.layout)),
          dropoutStream: &dropoutStream)
      }.mean
    }
    let gradients = ParameterSet(layout: adapter.parameters.layout)
    _ = loss(gradients: gradients)
    let entries = sampleEntries(adapter.parameters.layout, perTensor: 3, seed: 6)
    let error = GradientCheck().worstError(
      values: values.pointer, count: values.count, analytic: gradients.storage.toArray(),
      entries: entries
    ) { loss(gradients: nil) }
    #expect(error < 1e-2)
  }

  /// Widths whose weight blocks are not multiples of 16 floats are padded apart in the layout, so
  /// the q|k|v and gate|up products run one projection at a time: check that path too.
  @Test func gradientsWhenProjectionsCannotBeFused() throws {
    let config = ModelConfig(vocabSize: 259, dim: 6, layers: 1, heads: 1, ffnDim: 10, contextLength: 8)
    let model = try DecoderLM(config: config)
    let weights = ParameterSet.llama(config, seed: 12, std: 0.4)
    let q = weights.pointer(LlamaNames.projection(0, .q)), k = weights.pointer(LlamaNames.projection(0, .k))
    #expect(!areContiguous([q, k], counts: [36, 36]))
    let lora = LoRAConfig(rank: 2, alpha: 4)
    let adapter = Adapter(config: lora, model: config, seed: 13)
    for entry in adapter.parameters.layout.entries where entry.name.hasSuffix("lora_B.weight") {
      for i in 0..<entry.count { adapter.parameters.storage.pointer[entry.offset + i] = 0.3 * Float(i % 5) - 0.5 }
    }
    let (tokens, targets) = batch(seed: 14)
    let workspace = Workspace(config: config, lora: lora, batchSize: 2, sequenceLength: 8)
    let baseGradients = ParameterSet(layout: weights.layout)
    let adapterGradients = ParameterSet(layout: adapter.parameters.layout)
    var stream = RandomStream(seed: 0, purpose: .dropout)
    _ = try withBatch(tokens, targets) { t, y in
      try model.forwardBackward(
        weights: weights, adapter: adapter, tokens: t, targets: y, workspace: workspace,
        gradients: .init(base: baseGradients, adapter: adapterGradients), dropoutStream: &stream)
    }
    let inference = Workspace(config: config, lora: lora, batchSize: 2, sequenceLength: 8, keepsActivations: false)
    func loss() -> Double {
      try! withBatch(tokens, targets) { t, y in
        try model.forward(weights: weights, adapter: adapter, tokens: t, targets: y, workspace: inference)
      }.mean
    }
    let check = GradientCheck()
    #expect(
      check.worstError(
        values: weights.storage.pointer, count: weights.storage.count, analytic: baseGradients.storage.toArray(),
        entries: sampleEntries(weights.layout, perTensor: 3, seed: 15), loss: loss) < 1e-2)
    #expect(
      check.worstError(
        values: adapter.parameters.storage.pointer, count: adapter.parameters.storage.count,
        analytic: adapterGradients.storage.toArray(),
        entries: sampleEntries(adapter.parameters.layout, perTensor: 3, seed: 16), loss: loss) < 1e-2)
  }

  @Test func fullParameterGradientsOfATiedModel() throws {
    var config = Self.config
    config.tiedEmbeddings = true
    config.kvHeads = 4
    let model = try DecoderLM(config: config)
    let weights = ParameterSet.llama(config, seed: 7, std: 0.3)
    let (tokens, targets) = batch(seed: 8)
    let workspace = Workspace(config: config, lora: nil, batchSize: 2, sequenceLength: 8)
    let gradients = ParameterSet(layout: weights.layout)
    var unused = RandomStream(seed: 0, purpose: .dropout)
    _ = try withBatch(tokens, targets) { t, y in
      try model.forwardBackward(
        weights: weights, adapter: nil, tokens: t, targets: y, workspace: workspace,
        gradients: .init(base: gradients), dropoutStream: &unused)
    }
    let inference = Workspace(config: config, lora: nil, batchSize: 2, sequenceLength: 8, keepsActivations: false)
    // Embedding rows of the tokens used (the only non-zero ones) plus samples of every tensor.
    var entries = sampleEntries(weights.layout, perTensor: 3, seed: 9)
    entries += tokens.prefix(4).map { Int($0) * config.dim + 5 }
    let error = GradientCheck().worstError(
      values: weights.storage.pointer, count: weights.storage.count,
      analytic: gradients.storage.toArray(), entries: entries
    ) {
      try! withBatch(tokens, targets) { t, y in
        try model.forward(weights: weights, adapter: nil, tokens: t, targets: y, workspace: inference)
      }.mean
    }
    #expect(error < 1e-2)
  }

  @Test func inferenceWorkspaceMatchesTrainingWorkspace() throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 10, std: 0.3)
    let (tokens, targets) = batch(seed: 11)
    let training = Workspace(config: Self.config, lora: nil, batchSize: 2, sequenceLength: 8)
    let inference = Workspace(config: Self.config, lora: nil, batchSize: 2, sequenceLength: 8, keepsActivations: false)
    #expect(inference.byteCount < training.byteCount)
    let (a, b) = try withBatch(tokens, targets) { t, y in
      (
        try model.forward(weights: weights, adapter: nil, tokens: t, targets: y, workspace: training),
        try model.forward(weights: weights, adapter: nil, tokens: t, targets: y, workspace: inference)
      )
    }
    #expect(a == b)
  }

  @Test func badBatchesAreRejected() throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 1)
    let workspace = Workspace(config: Self.config, lora: nil, batchSize: 2, sequenceLength: 8)
    let good = [Int32](repeating: 1, count: 16)
    var bad = good
    bad[5] = 259
    #expect(throws: ModelError.tokenOutOfRange(token: 259, vocabularySize: 259)) {
      try withBatch(bad, good) { t, y in try model.forward(weights: weights, adapter: nil, tokens: t, targets: y, workspace: workspace) }
    }
    #expect(throws: ModelError.self) {
      try withBatch(Array(good.prefix(8)), Array(good.prefix(8))) { t, y in
        try model.forward(weights: weights, adapter: nil, tokens: t, targets: y, workspace: workspace)
      }
    }
    let lora = Adapter(config: LoRAConfig(rank: 2), model: Self.config, seed: 1)
    #expect(throws: ModelError.self) {
      try withBatch(good, good) { t, y in try model.forward(weights: weights, adapter: lora, tokens: t, targets: y, workspace: workspace) }
    }
  }
}
