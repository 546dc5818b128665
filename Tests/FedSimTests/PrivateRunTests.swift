import Aggregation
import Foundation
import Graphs
import Learning
import Testing

@testable import FedSim
@testable import Privacy

/// Private decentralized runs on Decor's synthetic task: noise, accounting, key exchange, secrecy.
@Suite struct PrivateRunTests {
  static let scenarioText = """
    name: decor-small
    seed: 3
    task: linear-regression
    clients: 8
    model: {init: 0.0}
    data: {source: {kind: decor-quadratic, dimension: 10, zeta: 1}}
    topology: {kind: ring}
    network: {peer: {latency: 0.01, bandwidth: 1.0e+6, loss: 0.2}}
    schedule: {mode: gossip, rounds: 300, local_steps: 1, batch_size: 10, optimizer: {name: sgd}, lr: 1.668e-3, gradient_clip: 0}
    aggregator: {name: decor}
    privacy: {clip: 1.0, sigma_cdp: 12, target_epsilon: 10, delta: 1.0e-5}
    evaluation: {every: 100, tail: 50}
    output: {trace: true}
    """

  struct Outcome {
    let directory: URL
    let metrics: String
    let summary: [String: Double]
    var records: [[String: Any]] {
      metrics.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
  }

  func run(_ overrides: [String] = [], workers: Int = 1) throws -> Outcome {
    let scenario = try ScenarioDecoder.decode(Self.scenarioText, file: "decor-small.yaml", overrides: overrides)
    let out = RunnerTests().temporary("private")
    try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
    let summary = try Runner(
      scenario: scenario, scenarioText: Self.scenarioText, overrides: overrides, workers: workers, output: out,
      cacheDirectory: RunnerTests().temporary("cache")
    ).run(log: { _ in }, progress: { _ in })
    let text = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let metrics = text.split(separator: "\n").map {
      $0.replacingOccurrences(of: #", "wall_time_s": [0-9.e+-]+"#, with: "", options: .regularExpression)
    }.joined(separator: "\n")
    return Outcome(directory: out, metrics: metrics, summary: summary)
  }

  /// `privacy.accountant: pld` spends ε by the exact Gaussian curve: the same noise costs less ε
  /// than by the paper's conversion (and exactly SecLDP.exactEpsilon of the same ρ), and
  /// calibrating to the same target needs less correlated noise. Recorded in summary.json.
  @Test func pldAccountantSpendsTheExactEpsilon() throws {
    let fixed = ["privacy={clip: 1.0, sigma_cdp: 12, sigma_cor: 40, delta: 1.0e-5}", "schedule.rounds=20"]
    let rdp = try run(fixed), pld = try run(fixed + ["privacy.accountant=pld"])
    let (spentRDP, spentPLD) = (try #require(rdp.summary["final_epsilon"]), try #require(pld.summary["final_epsilon"]))
    #expect(spentPLD < spentRDP && spentPLD > 0, "pld \(spentPLD), rdp \(spentRDP)")
    // The same ρ behind both: invert the paper's conversion, convert exactly.
    // ε = Tρ + 2√(Tρ L) with L = ln 1/δ ⇒ √(Tρ) = √(L + ε) − √L.
    let l = -log(1e-5), root = (l + spentRDP).squareRoot() - l.squareRoot()
    let rho = root * root / 20
    #expect(abs(try SecLDP.exactEpsilon(rho: rho, steps: 20, delta: 1e-5) - spentPLD) < 1e-6 * spentPLD)
    let summary = try String(contentsOf: pld.directory.appendingPathComponent("summary.json"), encoding: .utf8)
    #expect(summary.contains("\"privacy_accountant\": \"pld\""))
    // Calibrated to ε = 3 under both (σ_cor = 0 would spend more): pld needs less correlated noise.
    let target = ["schedule.rounds=20", "privacy.target_epsilon=3", "privacy.sigma_cdp=6"]
    let calibratedRDP = try run(target), calibratedPLD = try run(target + ["privacy.accountant=pld"])
    #expect(abs((calibratedPLD.summary["final_epsilon"] ?? 0) - 3) < 1e-6 && abs((calibratedRDP.summary["final_epsilon"] ?? 0) - 3) < 1e-6)
    #expect((calibratedPLD.summary["sigma_cor"] ?? .infinity) < (calibratedRDP.summary["sigma_cor"] ?? 0))
  }

  @Test func pldIsRefusedAtExampleLevel() {
    #expect {
      try ScenarioDecoder.decode(
        Self.scenarioText, file: "decor-small.yaml", overrides: ["privacy.level=example", "privacy.accountant=pld"])
    } throws: { error in
      "\(error)".contains("privacy.accountant: pld is not available at example level")
    }
    #expect(throws: ScenarioError.self) {
      try ScenarioDecoder.decode(Self.scenarioText, file: "decor-small.yaml", overrides: ["privacy.accountant=exact"])
    }
  }

  @Test func decorIsCalibratedAccountedAndDeterministic() throws {
    let a = try run(), b = try run(workers: 2)
    #expect(a.metrics == b.metrics)
    // Calibrated to ε = 10 after the last round, growing every round.
    let rounds = a.records.filter { $0["kind"] as? String == "round" }
    let epsilons = rounds.compactMap { $0["epsilon"] as? Double }
    #expect(epsilons.count == 300)
    #expect(zip(epsilons, epsilons.dropFirst()).allSatisfy { $0 < $1 })
    #expect(abs(epsilons.last! - 10) < 1e-6)
    #expect((rounds.last?["epsilon_clients"] as? [Double])?.count == 8)
    // The calibrated σ_cor reaches exactly the target with the accountant.
    let rho = try SecLDPAccountant(graph: .ring(n: 8)).stepLoss(
      noise: DecorNoise(sigmaCDP: 12, sigmaCor: a.summary["sigma_cor"]!, clip: 1), curious: .none
    ).rho
    #expect(abs(try SecLDP.epsilon(rho: rho, steps: 300, delta: 1e-5) - 10) < 1e-6)
    // Public keys went over the lossy network once per direction of each of the 8 ring edges.
    let setup = try #require(a.records.first { $0["kind"] as? String == "setup" })
    #expect(setup["messages"] as? Int == 16)
    #expect((setup["bytes"] as? Int ?? 0) >= 16 * 32)
    #expect((setup["retransmissions"] as? Int ?? 0) > 0)
    #expect(a.summary["tail_mean_sq_distance"]!.isFinite)
  }

  @Test func noKeyMaterialInAnyRunFile() throws {
    let outcome = try run()
    // Re-derive every secret the run used.
    var secrets: [[UInt8]] = []
    var clients: [EdgeSecrets] = []
    for client in 0..<8 { clients.append(try EdgeSecrets(client: client, seed: 3, seeded: true)) }
    let runID = Array("fedsim-run:decor-small:3".utf8)
    for client in 0..<8 {
      for peer in [(client + 1) % 8, (client + 7) % 8] {
        try clients[client].receive(publicKey: clients[peer].publicKeyMessage, from: peer, runID: runID)
      }
      secrets += clients[client].edges.map(\.bytes)
    }
    #expect(secrets.count == 16)
    var needles: [String] = []
    for secret in secrets {
      needles.append(secret.map { String(format: "%02x", $0) }.joined())
      needles.append(secret.map { String(format: "%02X", $0) }.joined())
      needles.append(Data(secret).base64EncodedString())
    }
    let files = FileManager.default.enumerator(at: outcome.directory, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
    #expect(files.contains { $0.lastPathComponent == "trace.jsonl" })
    for file in files {
      guard let data = try? Data(contentsOf: file) else { continue }
      let text = String(decoding: data, as: UTF8.self)
      for needle in needles { #expect(!text.contains(needle), "key material in \(file.lastPathComponent)") }
      for secret in secrets { #expect(data.firstRange(of: Data(secret)) == nil, "raw key bytes in \(file.lastPathComponent)") }
    }
  }

  @Test func correlatedNoiseCancelsExactlyOnTheCompleteGraph() throws {
    // On K_n the Metropolis–Hastings matrix is J/n: every client ends each round at the mean of
    // the y_j, where the pairwise terms cancel — so σ_cor changes nothing but rounding.
    let overrides = ["topology.kind=complete", "privacy.target_epsilon=null", "network.peer.loss=0", "schedule.rounds=100"]
    let without = try run(overrides + ["privacy.sigma_cor=0"]), with = try run(overrides + ["privacy.sigma_cor=100"])
    let a = without.summary["final_mean_sq_distance"]!, b = with.summary["final_mean_sq_distance"]!
    #expect(abs(a - b) / a < 1e-3, "\(a) vs \(b)")
    // On a ring it does not cancel within one step: the models carry the correlated noise.
    let ring = try run(["privacy.target_epsilon=null", "privacy.sigma_cor=100", "schedule.rounds=100"])
    #expect(ring.summary["final_mean_sq_distance"]! > 10 * a)
  }

  @Test func decorSitsBetweenCentralAndLocalPrivacyAtEqualEpsilon() throws {
    let decor = try run()
    let ldp = try run(["aggregator.name=ldp"])
    let cdp = try run(["aggregator.name=cdp", "schedule.mode=sync", "schedule.clients_per_round=8"])
    for outcome in [decor, ldp, cdp] { #expect(abs(outcome.summary["final_epsilon"]! - 10) < 1e-6) }
    let d = decor.summary["tail_mean_sq_distance"]!, l = ldp.summary["tail_mean_sq_distance"]!, c = cdp.summary["tail_mean_sq_distance"]!
    #expect(c < d && d < l, "cdp \(c), decor \(d), ldp \(l)")
    #expect(l > 10 * c)
  }

  @Test func exampleLevelLogisticRegressionIsCalibrated() throws {
    let outcome = try run([
      "task=logistic-regression", "data.source={kind: logistic, dimension: 5, examples: 200}", "model.init=0",
      "aggregator.name=ldp", "privacy.level=example", "privacy.target_epsilon=3", "schedule.batch_size=16",
      "schedule.local_steps=2", "schedule.rounds=50", "schedule.lr=0.1", "evaluation.splits=[validation, test]",
    ])
    #expect(abs(outcome.summary["final_epsilon"]! - 3) < 1e-3)
    #expect(outcome.metrics.contains("\"accuracy\""))
  }

  @Test func misconfiguredPrivacyFailsWithTheFieldNamed() throws {
    func failure(_ overrides: [String]) -> String {
      do {
        _ = try run(overrides)
        return "no error"
      } catch { return "\(error)" }
    }
    #expect(failure(["privacy.sigma_cdp=1"]).contains("privacy.sigma_cdp"))  // too small for ε = 10: unreachable
    #expect(failure(["aggregator.name=gossip"]).contains("privacy"))
    #expect(failure(["aggregator.name=cdp", "schedule.mode=sync", "privacy.level=example"]).contains("privacy.level"))
    #expect(failure(["topology.kind=erdos-renyi", "topology.resample_every_round=true"]).contains("topology"))
    #expect(failure(["privacy.curious=[0, 1, 2, 3, 4, 5, 6, 7]"]).contains("honest"))
    #expect(failure(["task=logistic-regression"]).contains("data.source.kind"))
    let noPrivacy = Self.scenarioText.replacingOccurrences(
      of: "privacy: {clip: 1.0, sigma_cdp: 12, target_epsilon: 10, delta: 1.0e-5}\n", with: "")
    #expect(throws: ScenarioError.self) { try ScenarioDecoder.decode(noPrivacy, file: "x.yaml") }
  }
}

@Suite struct PrivateLoRARunTests {
  /// Decor (user level) and LDP with per-example clipping (DP-SGD inside local training) on the
  /// LoRA task: they run, account every round, and stay deterministic.
  @Test(arguments: ["decor", "ldp"])
  func loraRunsArePrivateAndDeterministic(aggregator: String) throws {
    let tests = RunnerTests()
    let cache = tests.temporary("cache")
    let level = aggregator == "ldp" ? "example" : "user"
    let overrides = [
      "schedule.mode=gossip", "topology.kind=ring", "aggregator.name=\(aggregator)", "devices.dropout=0",
      "privacy={level: \(level), clip: 1.0, sigma_cdp: 0.5, sigma_cor: 2.0}",
    ]
    let a = try tests.run(workers: 1, out: tests.temporary("a"), cache: cache, overrides: overrides)
    let b = try tests.run(workers: 2, out: tests.temporary("b"), cache: cache, overrides: overrides)
    #expect(a == b)
    let rounds = a.split(separator: "\n").filter { $0.contains("\"kind\": \"round\"") }
    #expect(rounds.count == 3 && rounds.allSatisfy { $0.contains("\"epsilon\": ") && !$0.contains("\"epsilon\": null") })
    #expect(!a.contains("nan") && a.contains("mean_val_loss"))
    if aggregator == "decor" { #expect(a.contains("\"kind\": \"setup\"")) }
  }
}

@Suite struct PrivacyBudgetTests {
  /// `fedsim validate` shows the budget a run will end with: the same calibration and ε.
  @Test func theBudgetBeforeTheRunIsWhatTheRunSpends() throws {
    let scenario = try ScenarioDecoder.decode(PrivateRunTests.scenarioText, file: "decor-small.yaml")
    let budget = try #require(try Runner.privacyBudget(for: scenario))
    #expect(abs(budget.worstEpsilon - 10) < 1e-6 && budget.epsilons.count == 8)
    let run = try PrivateRunTests().run()
    #expect(budget.sigmaCor == run.summary["sigma_cor"])
    #expect(abs(budget.worstEpsilon - run.summary["final_epsilon"]!) < 1e-9)
    // Non-private scenarios have none; curious clients have no ε.
    let plain = try ScenarioDecoder.decode(RunnerTests.scenarioText, file: "tiny.yaml")
    #expect(try Runner.privacyBudget(for: plain) == nil)
    let curious = try ScenarioDecoder.decode(PrivateRunTests.scenarioText, file: "x.yaml", overrides: ["privacy.curious=[2]"])
    #expect(try Runner.privacyBudget(for: curious)?.epsilons[2] == nil)
  }

  @Test func systemKeysRunButAreNotReproducible() throws {
    let a = try PrivateRunTests().run(["privacy.keys=system", "schedule.rounds=50", "privacy.target_epsilon=null", "privacy.sigma_cor=10"])
    let b = try PrivateRunTests().run(["privacy.keys=system", "schedule.rounds=50", "privacy.target_epsilon=null", "privacy.sigma_cor=10"])
    #expect(a.metrics != b.metrics)
    #expect(a.summary["final_epsilon"] == b.summary["final_epsilon"])
  }
}
