import Aggregation
import Foundation
import Learning
import Testing

@testable import FedSim

/// Privacy numbers must match the noise actually added (issue: numbers you can trust).
@Suite struct PrivacyMatchesNoiseTests {
  func failure(_ overrides: [String]) -> String {
    do {
      _ = try PrivateRunTests().run(overrides)
      return "no error"
    } catch { return "\(error)" }
  }

  /// decor-quadratic has m = 10 examples per client. Before, b = 10, 40 and 160 gave the same
  /// trajectory with ε 0.085, 0.048 and 0.045; now b > m is refused and b ≤ m is accounted.
  @Test func exampleLevelBatchesLargerThanTheClientsDataAreRefused() throws {
    let common = [
      "privacy.level=example", "privacy.sigma_cdp=25", "privacy.sigma_cor=50", "privacy.target_epsilon=null", "schedule.rounds=20",
    ]
    let message = failure(common + ["schedule.batch_size=20"])
    #expect(message.contains("schedule.batch_size") && message.contains("m = 10"), "\(message)")
    #expect(failure(common + ["schedule.batch_size=160"]).contains("schedule.batch_size"))
    let half = try PrivateRunTests().run(common + ["schedule.batch_size=5"])
    let full = try PrivateRunTests().run(common + ["schedule.batch_size=10"])
    let epsilonHalf = half.summary["final_epsilon"]!, epsilonFull = full.summary["final_epsilon"]!
    // The accountant sees the batch that is drawn: q = 1/2 and 1 give different, finite ε.
    #expect(epsilonHalf > 0 && epsilonFull > 0 && epsilonHalf != epsilonFull)
    #expect(half.metrics != full.metrics)
  }

  @Test func poissonSubsamplingIsNotOfferedForFixedSizeBatches() {
    do {
      _ = try ScenarioDecoder.decode(PrivateRunTests.scenarioText, file: "s.yaml", overrides: ["privacy.subsampling=poisson"])
      Issue.record("poisson must be refused")
    } catch { #expect(error.description.contains("privacy.subsampling") && error.description.contains("without-replacement")) }
  }

  @Test func decorRefusesAsynchronousGossip() {
    do {
      _ = try ScenarioDecoder.decode(PrivateRunTests.scenarioText, file: "s.yaml", overrides: ["schedule.mode=async-gossip"])
      Issue.record("decor with async-gossip must be refused")
    } catch {
      #expect(error.description.contains("schedule.mode") && error.description.contains("synchronous"))
    }
    // ldp's independent noise has no cancellation to break.
    #expect(
      (try? ScenarioDecoder.decode(
        PrivateRunTests.scenarioText, file: "s.yaml", overrides: ["schedule.mode=async-gossip", "aggregator.name=ldp"])) != nil)
  }

  /// User level with a cosine schedule: the release moves x by η̄·(clip(u) + noise) with η̄ the
  /// mean step size of the round's local steps (not the peak rate). With a tiny C, every update
  /// is clipped, so ‖y − x‖ = η̄·C up to the (negligible) noise.
  @Test func userLevelNoiseAndClipScaleWithTheRoundsStepSizes() throws {
    let text = PrivateRunTests.scenarioText
    let scenario = try ScenarioDecoder.decode(
      text, file: "s.yaml",
      overrides: [
        "aggregator.name=ldp", "privacy.clip=1.0e-6", "privacy.sigma_cdp=1.0e-12", "privacy.target_epsilon=null", "schedule.local_steps=4",
        "schedule.rounds=10", "schedule.lr_schedule=cosine", "schedule.lr=0.1", "network.peer.loss=0",
      ])
    let learner = try ConvexLearner(
      source: scenario.data.source, data: scenario.data, clients: scenario.clients, schedule: scenario.schedule,
      initialValue: scenario.model.convexInit, seed: scenario.seed)
    let plan = try PrivacyPlan.make(
      scenario.privacy, mechanism: .local, aggregator: "ldp", graph: nil, clients: scenario.clients, rounds: 10, localSteps: 4,
      batchSize: 10, examples: [Int](repeating: 10, count: scenario.clients), seed: scenario.seed)
    let federation = Federation(
      learner: learner, aggregator: try AggregatorRegistry.shared.make("ldp"), privacy: plan, population: scenario.clients, seed: 3,
      runName: "t", keysSeeded: true)
    let state = federation.makeState(0)
    let own = try #require(state.learner)
    let cosine = LearningRateSchedule.named("cosine", peak: 0.1, warmupSteps: 0, totalSteps: 40)!
    for round in 0..<10 {
      let before = learner.values(of: own)
      let report = federation.step(client: 0, state: state, round: round, worker: 0)
      let moved = zip(report.message.values, before).map { Double($0) - Double($1) }.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let eta = (0..<4).map { Double(cosine.rate(at: round * 4 + $0)) }.reduce(0, +) / 4
      #expect(abs(report.message.stepSize - eta) < 1e-12)
      #expect(abs(moved - eta * 1e-6) < 1e-3 * eta * 1e-6, "round \(round): moved \(moved), expected \(eta * 1e-6)")
    }
    // The schedule decays: the last round's step is far below the peak rate used before.
    #expect(cosine.meanRate(from: 36, count: 4) < 0.02)
  }
}
