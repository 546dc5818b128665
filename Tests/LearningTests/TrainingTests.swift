import Foundation
import Randomness
import Testing

@testable import Learning

/// Short real training runs on real English text: the GPL-3 and Apache-2.0 licence texts that
/// every Debian system ships in /usr/share/common-licenses (package base-files, Essential).
@Suite struct TrainingTests {
  static func text(_ name: String) throws -> [Int32] {
    let data = try Data(contentsOf: URL(fileURLWithPath: "/usr/share/common-licenses/\(name)"))
    return ByteTokenizer().encode(data)
  }

  static let config = ModelConfig(dim: 32, layers: 2, heads: 4, kvHeads: 2, ffnDim: 64, contextLength: 32)

  @Test func pretrainingThenLoRAFineTuningLowerValidationLoss() throws {
    let model = try DecoderLM(config: Self.config)
    let gpl = try Self.text("GPL-3")
    let gplTrain = TokenWindows(tokens: Array(gpl.dropLast(4096)), length: 32)
    let gplValidation = TokenWindows(tokens: Array(gpl.suffix(4096)), length: 32)
    let weights = ParameterSet.llama(Self.config, seed: 1)
    let initial = try evaluateLoss(model: model, weights: weights, adapter: nil, windows: gplValidation)
    let pretrainer = try Trainer(
      model: model, weights: weights, adapter: nil,
      options: TrainingOptions(batchSize: 8, sequenceLength: 32, schedule: .constant(3e-3), seed: 1))
    for _ in 0..<150 { try pretrainer.trainStep(on: gplTrain) }
    let pretrained = try evaluateLoss(model: model, weights: weights, adapter: nil, windows: gplValidation)
    #expect(initial.mean > 5.4)  // about ln 259 for a fresh model
    #expect(pretrained.mean < initial.mean - 1.5)

    // LoRA on another text: its validation loss falls and the base stays bit-identical.
    let apache = try Self.text("Apache-2.0")
    let apacheTrain = TokenWindows(tokens: Array(apache.dropLast(2048)), length: 32)
    let apacheValidation = TokenWindows(tokens: Array(apache.suffix(2048)), length: 32)
    let frozen = weights.storage.toArray()
    let adapter = Adapter(config: LoRAConfig(rank: 4, alpha: 8), model: Self.config, seed: 2)
    let before = try evaluateLoss(model: model, weights: weights, adapter: adapter, windows: apacheValidation)
    #expect(abs(before.mean - (try evaluateLoss(model: model, weights: weights, adapter: nil, windows: apacheValidation)).mean) < 1e-9)
    let finetuner = try Trainer(
      model: model, weights: weights, adapter: adapter,
      options: TrainingOptions(batchSize: 8, sequenceLength: 32, schedule: .constant(3e-3), seed: 2))
    for _ in 0..<60 { try finetuner.trainStep(on: apacheTrain) }
    let after = try evaluateLoss(model: model, weights: weights, adapter: adapter, windows: apacheValidation)
    #expect(after.mean < before.mean - 0.1)
    #expect(weights.storage.toArray() == frozen)
  }

  @Test func sameSeedGivesBitIdenticalTraining() throws {
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 3)
    let text = TokenWindows(tokens: Array(try Self.text("GPL-3").prefix(8000)), length: 16)
    func run(seed: UInt64) throws -> ([Float], [Double]) {
      let adapter = Adapter(config: LoRAConfig(rank: 2, alpha: 4, dropout: 0.1), model: Self.config, seed: seed)
      let trainer = try Trainer(
        model: model, weights: weights, adapter: adapter,
        options: TrainingOptions(batchSize: 4, sequenceLength: 16, seed: seed))
      let losses = try (0..<5).map { _ in try trainer.trainStep(on: text).mean }
      return (adapter.parameters.storage.toArray(), losses)
    }
    let (a, lossesA) = try run(seed: 5)
    let (b, lossesB) = try run(seed: 5)
    let (c, _) = try run(seed: 6)
    #expect(a == b && lossesA == lossesB)
    #expect(a != c)
  }

  @Test func evaluationWindowsFollowTheDocumentedDefinition() throws {
    // 10 tokens, N = 3: windows k = 0 ..< (10 − 1) / 3 = 3, predicting tokens 1...9.
    let windows = TokenWindows(tokens: (0..<10).map(Int32.init), length: 3)
    #expect(windows.evaluationWindowCount == 3)
    var inputs = [Int32](repeating: -1, count: 12), targets = inputs
    windows.evaluationBatch(first: 0, batch: 4, inputs: &inputs, targets: &targets)
    #expect(inputs == [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0])
    #expect(targets == [1, 2, 3, 4, 5, 6, 7, 8, 9, ignoreIndex, ignoreIndex, ignoreIndex])
    // The loss counts exactly the predicted tokens, whatever the batch size.
    let model = try DecoderLM(config: Self.config)
    let weights = ParameterSet.llama(Self.config, seed: 4)
    let long = TokenWindows(tokens: Array(try Self.text("GPL-3").prefix(1000)), length: 32)
    let one = try evaluateLoss(model: model, weights: weights, adapter: nil, windows: long, batchSize: 1)
    let many = try evaluateLoss(model: model, weights: weights, adapter: nil, windows: long, batchSize: 7)
    #expect(one.tokens == 31 * 32 && many.tokens == one.tokens)
    #expect(abs(one.mean - many.mean) < 1e-5)
  }
}

@Suite struct ShardedTrainingTests {
  /// Splitting a batch into shards gives the same step as the whole batch (up to summation
  /// order), and the same bits whatever the number of threads running the shards.
  @Test func shardsMatchTheWholeBatchAndIgnoreTheThreadCount() throws {
    let config = TrainingTests.config
    let model = try DecoderLM(config: config)
    let weights = ParameterSet.llama(config, seed: 8)
    let text = TokenWindows(tokens: Array(try TrainingTests.text("GPL-3").prefix(6000)), length: 16)
    func run(shards: Int, workers: Int) throws -> [Float] {
      let adapter = Adapter(config: LoRAConfig(rank: 2, alpha: 4), model: config, seed: 9)
      for i in 0..<adapter.parameters.storage.count { adapter.parameters.storage.pointer[i] += 0.01 * Float(i % 7) }
      var options = TrainingOptions(batchSize: 4, sequenceLength: 16, seed: 3)
      options.shards = shards
      let trainer = try Trainer(model: model, weights: weights, adapter: adapter, options: options, workers: workers)
      for _ in 0..<3 { try trainer.trainStep(on: text) }
      return adapter.parameters.storage.toArray()
    }
    let whole = try run(shards: 1, workers: 1)
    let sequential = try run(shards: 2, workers: 1)
    let parallel = try run(shards: 2, workers: 2)
    #expect(sequential == parallel)
    #expect(maxRelativeError(sequential, whole) < 1e-4)
    #expect(throws: ModelError.self) {
      var options = TrainingOptions(batchSize: 4, sequenceLength: 16)
      options.shards = 3
      _ = try Trainer(model: model, weights: weights, adapter: nil, options: options)
    }
  }
}

@Suite struct DistinctWindowTests {
  @Test func distinctBatchesHaveNoRepeatedStartAndCoverWindowsUniformly() {
    let tokens = (0..<40).map { Int32($0) }
    let windows = TokenWindows(tokens: tokens, length: 4)
    var counts = [Int](repeating: 0, count: 36)
    var inputs = [Int32](repeating: 0, count: 8 * 4), targets = inputs
    for step in 0..<3000 {
      var stream = RandomStream(seed: 1, purpose: .batches, step: UInt32(step))
      inputs.withUnsafeMutableBufferPointer { i in
        targets.withUnsafeMutableBufferPointer { t in
          windows.sampleDistinct(batch: 8, inputs: i.baseAddress!, targets: t.baseAddress!, stream: &stream)
        }
      }
      let starts = (0..<8).map { Int(inputs[$0 * 4]) }
      #expect(Set(starts).count == 8)
      for row in 0..<8 { #expect(targets[row * 4] == inputs[row * 4] + 1) }
      for start in starts { counts[start] += 1 }
    }
    // Each window is in a batch with probability 8/36: 666.7 expected of 3000, sd ≈ 22.8.
    #expect(counts.allSatisfy { abs(Double($0) - 3000.0 * 8 / 36) < 5 * 22.8 })
  }
}
