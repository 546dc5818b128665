import Foundation
import Learning
import Randomness

/// The frozen base every client shares: a checkpoint, or a built-in config pretrained on the
/// public data at the start of the run and cached under a content hash so the next run reuses it.
enum BaseModel {
  static func prepare(
    _ section: ModelSection, publicTokens: [Int32], seed: UInt64, cacheDirectory: URL, log: (String) -> Void
  ) throws(RunError) -> (ModelConfig, ParameterSet) {
    switch section.base {
    case .checkpoint(let path):
      do { return try ModelCheckpoint.load(from: URL(fileURLWithPath: path)) } catch { throw .model(error.description) }
    case .builtIn(let config, let steps, let learningRate):
      let key = cacheKey(config: config, steps: steps, learningRate: learningRate, seed: seed, tokens: publicTokens)
      let directory = cacheDirectory.appendingPathComponent("base-\(key)")
      if let cached = try? ModelCheckpoint.load(from: directory), cached.0 == config {
        log("base model: reusing \(directory.path)")
        return cached
      }
      let weights = ParameterSet.llama(config, seed: seed)
      if steps > 0 {
        let length = min(config.contextLength, max(1, publicTokens.count - 1))
        let windows = TokenWindows(tokens: publicTokens, length: length)
        guard windows.canSample else {
          throw .data("the public set has \(publicTokens.count) tokens, too few to pretrain the base (raise data.public_fraction)")
        }
        let options = TrainingOptions(
          batchSize: 16, sequenceLength: length,
          schedule: .warmupCosine(peak: learningRate, warmupSteps: min(20, steps / 10), totalSteps: steps, minimum: learningRate / 10),
          optimizer: .adamW(weightDecay: 0.01), gradientClip: 1, seed: seed)
        do {
          let model = try DecoderLM(config: config)
          let trainer = try Trainer(model: model, weights: weights, adapter: nil, options: options)
          var last = LossSum()
          for _ in 0..<steps { last = try trainer.trainStep(on: windows) }
          log(
            String(
              format: "base model: pretrained %d steps on %d public tokens, last train loss %.4f", steps, publicTokens.count, last.mean))
        } catch { throw .model(error.description) }
      }
      // Written to a temporary folder, then renamed: a half-written cache entry is never reused
      // (unique per writer: the ranks of a distributed run may pretrain at the same time).
      let temporary = cacheDirectory.appendingPathComponent(
        ".base-\(key)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
      do {
        try? FileManager.default.removeItem(at: temporary)
        try ModelCheckpoint.save(config: config, weights: weights, to: temporary)
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.moveItem(at: temporary, to: directory)
      } catch { log("base model: not cached (\(error))") }
      return (config, weights)
    }
  }

  /// FNV-1a over everything that determines the pretrained weights.
  static func cacheKey(config: ModelConfig, steps: Int, learningRate: Float, seed: UInt64, tokens: [Int32]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ bytes: some Sequence<UInt8>) {
      for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
      }
    }
    mix("v1 \(config) \(steps) \(learningRate) \(seed)".utf8)
    for token in tokens { mix(withUnsafeBytes(of: token.littleEndian) { Array($0) }) }
    return String(format: "%016llx", hash)
  }
}
