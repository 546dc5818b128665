import Foundation
import Testing

@testable import Learning

/// Training and evaluation never hand out NaN as a result (issue: numbers you can trust).
@Suite struct DivergenceTests {
  /// An absurd learning rate blows the model up within a few steps: the trainer stops with a
  /// typed error before the update that would write NaN into the parameters.
  @Test func trainingStopsBeforeANonFiniteUpdate() throws {
    let config = TrainingTests.config
    let model = try DecoderLM(config: config)
    let weights = ParameterSet.llama(config, seed: 1)
    let text = TokenWindows(tokens: Array(try TrainingTests.text("GPL-3").prefix(8000)), length: 16)
    let trainer = try Trainer(
      model: model, weights: weights, adapter: nil,
      options: TrainingOptions(batchSize: 4, sequenceLength: 16, schedule: .constant(1e30), optimizer: .sgd(), gradientClip: nil))
    var stopped: ModelError? = nil
    for _ in 0..<20 {
      do { _ = try trainer.trainStep(on: text) } catch {
        stopped = error
        break
      }
    }
    guard case .nonFinite(let step, let what)? = stopped else {
      Issue.record("training with lr 1e30 should have stopped, got \(String(describing: stopped))")
      return
    }
    #expect(step >= 1 && (what.contains("loss") || what.contains("gradient")))
    // Whatever the last finite update left, nothing non-finite was written by the trainer.
    #expect(stopped?.description.contains("diverged at step \(step)") == true)
  }

  @Test func evaluationJSONNeverPrintsNaN() throws {
    let nan = LossSum(total: .nan, tokens: 10, correct: 3)
    let object = try JSONSerialization.jsonObject(with: Data(nan.json.utf8)) as? [String: Any]
    #expect(object?["loss"] is NSNull && object?["perplexity"] is NSNull)
    #expect((object?["non_finite"] as? String)?.contains("loss, perplexity") == true)
    #expect((object?["accuracy"] as? Double) == 0.3 && (object?["tokens"] as? Int) == 10)
    let fine = LossSum(total: 20, tokens: 10, correct: 5)
    let parsed = try JSONSerialization.jsonObject(with: Data(fine.json.utf8)) as? [String: Any]
    #expect((parsed?["loss"] as? Double) == 2 && parsed?["non_finite"] == nil)
    let empty = try JSONSerialization.jsonObject(with: Data(LossSum().json.utf8)) as? [String: Any]
    #expect((empty?["non_finite"] as? String)?.contains("no token") == true)
  }

  @Test func parameterSetsNameTheirFirstNonFiniteTensor() {
    let config = TrainingTests.config
    let weights = ParameterSet.llama(config, seed: 1)
    #expect(weights.firstNonFiniteTensor() == nil)
    let name = weights.layout.entries[3].name
    weights.buffer(name)[2] = .infinity
    #expect(weights.firstNonFiniteTensor() == name)
  }
}
