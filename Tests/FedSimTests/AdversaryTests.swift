import Foundation
import Learning
import Testing

@testable import FedSim

/// Adversarial clients: drawn once from the seed, they train honestly but send poisoned values,
/// recorded in the metrics and the summary — so robust aggregation can be evaluated.
@Suite struct AdversaryTests {
  static let scenario = """
    name: adv
    seed: 3
    task: linear-regression
    clients: 12
    model: {init: 1.0}
    data: {source: {kind: decor-quadratic, dimension: 6, zeta: 1.0}}
    schedule: {mode: sync, rounds: 40, clients_per_round: 12, local_steps: 3, batch_size: 5, optimizer: {name: sgd}, lr: 0.05, gradient_clip: 0}
    aggregator: {name: fedavg}
    evaluation: {every: 40, splits: [validation]}
    """

  func run(_ overrides: [String], workers: Int = 1) throws -> (summary: [String: Double], metrics: String) {
    let out = try CheckpointResumeTests.folder().appendingPathComponent("adv")
    let summary = try CheckpointResumeTests.runner(Self.scenario, overrides, out: out, workers: workers).run(
      log: { _ in }, progress: { _ in })
    let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    return (summary, metrics.replacingOccurrences(of: #", "wall_time_s": [0-9.e+-]+"#, with: "", options: .regularExpression))
  }

  @Test func attacksFollowTheirFormulas() {
    let start: [Float] = [1, 2], trained: [Float] = [1.5, 1]
    #expect(
      AdversariesSection(count: 1, attack: .signFlip, scale: 2).poison(start: start, trained: trained, client: 0, round: 0, seed: 1) == [
        0, 4,
      ])
    #expect(
      AdversariesSection(count: 1, attack: .scaled, scale: 10).poison(start: start, trained: trained, client: 0, round: 0, seed: 1) == [
        6, -8,
      ])
    let noisy = AdversariesSection(count: 1, attack: .gaussian, scale: 3).poison(
      start: start, trained: trained, client: 5, round: 2, seed: 1)
    #expect(
      noisy != start
        && noisy
          == AdversariesSection(count: 1, attack: .gaussian, scale: 3).poison(start: start, trained: trained, client: 5, round: 2, seed: 1)
    )
    let set = AdversariesSection(count: 3, attack: .scaled, scale: 1).clients(population: 100, seed: 9)
    #expect(set.count == 3 && set == AdversariesSection(count: 3, attack: .gaussian, scale: 1).clients(population: 100, seed: 9))
    #expect(set != AdversariesSection(count: 3, attack: .scaled, scale: 1).clients(population: 100, seed: 10))
  }

  @Test func poisonedUpdatesHurtFedAvgAndAreRecorded() throws {
    let clean = try run([])
    let attacked = try run(["adversaries={fraction: 0.2, attack: sign-flip, scale: 5}"])
    #expect(clean.summary["adversarial_clients"] == 0 && attacked.summary["adversarial_clients"] == 2)
    let (before, after) = (clean.summary["final_mean_sq_distance"] ?? .nan, attacked.summary["final_mean_sq_distance"] ?? .nan)
    #expect(after > 100 * before, "clean \(before), attacked \(after)")
    #expect(attacked.summary["final_mean_val_loss_honest"] != nil && clean.summary["final_mean_val_loss_honest"] == nil)
    #expect(attacked.metrics.hasPrefix("{\"attack\": \"sign-flip\", \"clients\": ["), "\(attacked.metrics.prefix(120))")
    // Deterministic, whatever the number of workers.
    #expect(try run(["adversaries={fraction: 0.2, attack: sign-flip, scale: 5}"], workers: 2).metrics == attacked.metrics)
  }

  @Test func badAdversarySectionsAreLocated() {
    #expect {
      try ScenarioDecoder.decode(Self.scenario + "\nadversaries: {attack: label-flip, scale: 2}\n", file: "adv.yaml")
    } throws: { error in
      "\(error)".contains("adv.yaml:10:42: adversaries.scale: label-flip has no scale")
    }
    #expect {
      try ScenarioDecoder.decode(Self.scenario + "\nadversaries: {attack: flip}\n", file: "adv.yaml")
    } throws: { error in
      "\(error)".contains("adv.yaml:10:23: adversaries.attack") && "\(error)".contains("label-flip")
    }
    #expect {
      try ScenarioDecoder.decode(Self.scenario + "\nadversaries: {count: 2, fraction: 0.5}\n", file: "adv.yaml")
    } throws: { error in
      "\(error)".contains("adversaries.fraction: give count or fraction, not both")
    }
    #expect(throws: ScenarioError.self) { try ScenarioDecoder.decode(Self.scenario + "\nadversaries: {count: 13}\n", file: "adv.yaml") }
  }

  /// Label flipping poisons the data, not the update: y → −y (least squares), y → 1 − y (logistic).
  @Test func labelFlipTrainsOnFlippedLabels() throws {
    let linear = ConvexProblem(features: [1, 2, 3, 4], targets: [0.5, -2], dimension: 2, loss: .squared)
    #expect(linear.flippingLabels().targets == [-0.5, 2] && linear.flippingLabels().features == linear.features)
    let logistic = ConvexProblem(features: [1, 2, 3, 4], targets: [1, 0], dimension: 2, loss: .logistic, l2: 0.1)
    #expect(logistic.flippingLabels().targets == [0, 1] && logistic.flippingLabels().l2 == 0.1)
    #expect(
      AdversariesSection(count: 1, attack: .labelFlip, scale: 1).poison(start: [1, 2], trained: [3, 4], client: 0, round: 0, seed: 1)
        == [3, 4])
    let clean = try run([])
    let attacked = try run(["adversaries={count: 3, attack: label-flip}"])
    // Decor's b_i are small (ζ/(i+1)²), so flipping them moves the optimum by a few times only.
    let (before, after) = (clean.summary["final_mean_sq_distance"] ?? .nan, attacked.summary["final_mean_sq_distance"] ?? .nan)
    #expect(after > 5 * before, "clean \(before), attacked \(after)")
    #expect(attacked.metrics.hasPrefix("{\"attack\": \"label-flip\", \"clients\": ["), "\(attacked.metrics.prefix(120))")
    #expect(try run(["adversaries={count: 3, attack: label-flip}"], workers: 2).metrics == attacked.metrics)
  }
}
