import Foundation
import Testing

@testable import FedSim

/// `fedsim audit`: lower bounds that stay below the accountant on correct mechanisms, that catch
/// deliberately broken ones, and that are as tight as Clopper–Pearson allows for one Gaussian.
@Suite struct PrivacyAuditTests {
  /// One Gaussian release (ldp, one round, the exact Gaussian accountant) calibrated to ε.
  static func gaussian(epsilon: Double, delta: Double) -> String {
    """
    name: audit-gaussian
    seed: 0
    task: linear-regression
    clients: 2
    data: {source: {kind: linear, dimension: 4, examples: 20}}
    topology: {kind: complete}
    schedule: {mode: gossip, rounds: 1, local_steps: 1, batch_size: 16, optimizer: {name: sgd}, lr: 0.1, gradient_clip: 0}
    aggregator: {name: ldp}
    privacy: {level: user, clip: 1.0, target_epsilon: \(epsilon), delta: \(delta), accountant: pld}
    """
  }

  /// Decor on a ring of `clients`, σ_cor calibrated to ε for σ_cdp.
  static func decor(clients: Int, rounds: Int, sigmaCDP: Double, epsilon: Double, delta: Double, curious: String) -> String {
    """
    name: audit-decor
    seed: 0
    task: linear-regression
    clients: \(clients)
    model: {init: 1.0}
    data: {source: {kind: decor-quadratic, dimension: 4, zeta: 1.0}}
    topology: {kind: ring, mixing: metropolis-hastings}
    schedule: {mode: gossip, rounds: \(rounds), local_steps: 1, batch_size: 4, optimizer: {name: sgd}, lr: 0.01, gradient_clip: 0}
    aggregator: {name: decor}
    privacy: {level: user, clip: 1.0, sigma_cdp: \(sigmaCDP), target_epsilon: \(epsilon), delta: \(delta), curious: \(curious)}
    """
  }

  func audit(
    _ text: String, overrides: [String] = [], trials: Int, calibration: Int? = nil, fault: MechanismFault? = nil, workers: Int = 2
  ) throws -> PrivacyAudit.Result {
    let scenario = try ScenarioDecoder.decode(text, file: "audit.yaml", overrides: overrides)
    var options = PrivacyAudit.Options()
    options.trials = trials
    options.calibrationTrials = calibration
    options.fault = fault
    options.workers = workers
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-audit-cache")
    return try PrivacyAudit(scenario: scenario, options: options, cacheDirectory: cache).run(log: { _ in })
  }

  /// The issue's reference: a single Gaussian release at ε = 4 (δ = 1e-5) and 10,000 trials per
  /// side gives a 95% lower bound ≥ 1.8 (the best Clopper–Pearson allows there is ≈ 2.0).
  @Test func singleGaussianIsAuditedTightly() throws {
    let result = try audit(Self.gaussian(epsilon: 4, delta: 1e-5), trials: 10_000)
    #expect(abs(result.epsilon - 4) < 1e-6)
    #expect(result.bound.epsilonLower >= 1.8, "audited \(result.bound.epsilonLower)")
    #expect(result.bound.epsilonLower <= result.epsilon)
    #expect(result.bound.trialsWith == 10_000 && result.bound.trialsWithout == 10_000)
  }

  /// Correct mechanisms: the bound stays below the accountant's ε and still shows something.
  @Test func correctMechanismsStayBelowTheAccountant() throws {
    let cases: [(String, String, [String])] = [
      ("ldp", Self.gaussian(epsilon: 2, delta: 1e-3), []),
      ("ldp, 4 rounds", Self.gaussian(epsilon: 2, delta: 1e-3), ["schedule.rounds=4"]),
      (
        "cdp", Self.gaussian(epsilon: 2, delta: 1e-3),
        ["aggregator.name=cdp", "schedule.mode=sync", "schedule.clients_per_round=2"]
      ),
      (
        "subsampled Gaussian (example level, 12 of 16 examples)", Self.gaussian(epsilon: 2, delta: 1e-3),
        ["privacy.level=example", "privacy.accountant=rdp", "schedule.batch_size=12", "schedule.rounds=3"]
      ),
      ("decor", Self.decor(clients: 6, rounds: 2, sigmaCDP: 2, epsilon: 3, delta: 1e-3, curious: "none"), []),
      ("decor, curious [1]", Self.decor(clients: 6, rounds: 2, sigmaCDP: 2, epsilon: 3, delta: 1e-3, curious: "[1]"), []),
    ]
    for (name, text, overrides) in cases {
      let result = try audit(text, overrides: overrides, trials: 2000)
      #expect(result.bound.epsilonLower <= result.epsilon, "\(name): audited \(result.bound.epsilonLower) > ε \(result.epsilon)")
      #expect(result.bound.epsilonLower > 0.1, "\(name): audited \(result.bound.epsilonLower) shows nothing")
      #expect(!result.exceedsAccountant)
    }
  }

  /// Noise at half its std: the audit's bound exceeds the ε the accountant reports.
  @Test func halvedNoiseIsCaught() throws {
    for (name, text, overrides) in [
      ("ldp", Self.gaussian(epsilon: 2, delta: 1e-3), [String]()),
      (
        "cdp", Self.gaussian(epsilon: 2, delta: 1e-3),
        ["aggregator.name=cdp", "schedule.mode=sync", "schedule.clients_per_round=2"]
      ),
    ] {
      let correct = try audit(text, overrides: overrides, trials: 5000)
      let broken = try audit(text, overrides: overrides, trials: 5000, fault: .halvedNoise)
      #expect(broken.epsilon == correct.epsilon, "the accountant does not know")
      #expect(broken.exceedsAccountant, "\(name): audited \(broken.bound.epsilonLower) vs ε \(broken.epsilon)")
      #expect(!correct.exceedsAccountant, "\(name): audited \(correct.bound.epsilonLower) vs ε \(correct.epsilon)")
    }
  }

  /// Decor's edge keystreams restarting every round: the correlated noise repeats, an adversary
  /// differencing rounds removes it, and the bound exceeds ε; with fresh keystreams it does not.
  @Test func reusedKeystreamIsCaught() throws {
    let text = Self.decor(clients: 16, rounds: 4, sigmaCDP: 1, epsilon: 4, delta: 1e-2, curious: "none")
    let broken = try audit(text, trials: 600, calibration: 600, fault: .reusedKeystream)
    #expect(broken.exceedsAccountant, "audited \(broken.bound.epsilonLower) vs ε \(broken.epsilon)")
    #expect(broken.score == "target-only")
    let correct = try audit(text, trials: 600, calibration: 600)
    #expect(!correct.exceedsAccountant, "audited \(correct.bound.epsilonLower) vs ε \(correct.epsilon)")
  }

  /// The ε an audit compares with is the one a run of the same scenario reports (the worst
  /// honest client's final ε), at user level and at example level with several local steps.
  @Test func accountantEpsilonIsTheRunsEpsilon() throws {
    let cases: [(String, [String])] = [
      (Self.decor(clients: 6, rounds: 2, sigmaCDP: 2, epsilon: 3, delta: 1e-3, curious: "[1]"), []),
      (
        Self.gaussian(epsilon: 2, delta: 1e-3),
        ["privacy.level=example", "privacy.accountant=rdp", "schedule.batch_size=12", "schedule.rounds=2", "schedule.local_steps=2"]
      ),
    ]
    for (text, overrides) in cases {
      let audited = try audit(text, overrides: overrides, trials: 100)
      let scenario = try ScenarioDecoder.decode(text, file: "audit.yaml", overrides: overrides)
      let out = RunnerTests().temporary("audit-run")
      try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
      let summary = try Runner(
        scenario: scenario, scenarioText: text, overrides: overrides, workers: 1, output: out,
        cacheDirectory: RunnerTests().temporary("cache")
      ).run(log: { _ in }, progress: { _ in })
      let spent = try #require(summary["final_epsilon"])
      #expect(abs(audited.epsilon - spent) <= 1e-12 * spent, "audit ε \(audited.epsilon), run ε \(spent)")
      #expect(audited.releases == scenario.schedule.rounds)
    }
  }

  /// Same scenario and seed ⇒ the same audit, whatever the number of workers.
  @Test func independentOfWorkers() throws {
    let text = Self.decor(clients: 6, rounds: 2, sigmaCDP: 2, epsilon: 3, delta: 1e-3, curious: "[1]")
    let one = try audit(text, trials: 150, workers: 1)
    let two = try audit(text, trials: 150, workers: 2)
    #expect(one.bound == two.bound)
    #expect(one.target == two.target && one.score == two.score)
  }

  /// Refusals name the field and the value.
  @Test func refusals() throws {
    let plain = """
      name: plain
      task: linear-regression
      clients: 4
      data: {source: {kind: linear, dimension: 4, examples: 20}}
      schedule: {mode: sync, rounds: 1, clients_per_round: 4, local_steps: 1, batch_size: 16, optimizer: {name: sgd}, lr: 0.1}
      aggregator: {name: fedavg}
      """
    #expect(throws: RunError.self) { try audit(plain, trials: 10) }
    do {
      _ = try audit(plain, trials: 10)
    } catch {
      #expect("\(error)".contains("aggregator.name") && "\(error)".contains("fedavg"), "\(error)")
    }
    let gaussian = Self.gaussian(epsilon: 2, delta: 1e-3)
    do {
      _ = try audit(gaussian, trials: 0)
      Issue.record("0 trials accepted")
    } catch {
      #expect("\(error)".contains("--trials"), "\(error)")
    }
    var options = PrivacyAudit.Options()
    options.client = 7
    let scenario = try ScenarioDecoder.decode(gaussian, file: "audit.yaml")
    do {
      _ = try PrivacyAudit(scenario: scenario, options: options, cacheDirectory: FileManager.default.temporaryDirectory).run(log: { _ in })
      Issue.record("client 7 of 2 accepted")
    } catch {
      #expect("\(error)".contains("--client") && "\(error)".contains("7"), "\(error)")
    }
    options.client = 0
    options.coordinate = 4
    do {
      _ = try PrivacyAudit(scenario: scenario, options: options, cacheDirectory: FileManager.default.temporaryDirectory).run(log: { _ in })
      Issue.record("coordinate 4 of 4 accepted")
    } catch {
      #expect("\(error)".contains("--coordinate") && "\(error)".contains("4"), "\(error)")
    }
  }
}
