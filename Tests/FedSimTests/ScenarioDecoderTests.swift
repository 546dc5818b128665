import Foundation
import Testing

@testable import FedSim

@Suite struct ScenarioDecoderTests {
  static let valid = """
    name: quickstart
    seed: 3
    clients: 8
    model:
      base: {config: nano, pretrain_steps: 50}
      lora: {rank: 4, alpha: 8, targets: [q_proj, v_proj]}
    data:
      source: {kind: markov, domains: 4, vocabulary: 12}
      partition: {kind: dirichlet, alpha: 0.3}
    topology: {kind: ring}
    devices:
      speed: {log_normal: {median: 2e9, sigma: 0.4}}
      availability: {bernoulli: 0.9}
    network:
      uplink: {latency: 0.05, bandwidth: 1e6, loss: 0.01}
    schedule: {mode: sync, rounds: 5, clients_per_round: 4, deadline: 30, local_steps: 3}
    aggregator: {name: fedavg}
    """

  @Test func decodesAValidScenarioWithDefaults() throws {
    let scenario = try ScenarioDecoder.decode(Self.valid, file: "s.yaml")
    #expect(scenario.name == "quickstart" && scenario.seed == 3 && scenario.clients == 8)
    #expect(scenario.model.lora.rank == 4 && scenario.model.lora.targets == [.q, .v])
    #expect(scenario.schedule.rounds == 5 && scenario.schedule.deadline == 30 && scenario.schedule.batchSize == 8)
    #expect(scenario.devices.speed == .logNormal(median: 2e9, sigma: 0.4))
    #expect(scenario.devices.availability == .bernoulli(0.9))
    #expect(scenario.network.uplink.lossProbability == 0.01)
    #expect(scenario.data.partition == .dirichlet(alpha: 0.3))
    #expect(scenario.topology.kind == "ring")
  }

  /// Golden table: a bad fragment, then the exact location, key path and message parts expected.
  static let badFiles: [(yaml: String, line: Int, column: Int, path: String, message: String, suggestion: String?)] = [
    ("clients: 8\nshedule: {rounds: 3}\n", 2, 1, "shedule", "unknown key", "schedule"),
    ("clients: 8\nschedule: {rounds: three}\n", 2, 20, "schedule.rounds", "expected an integer in 1...10000000, found 'three'", nil),
    ("clients: 8\nschedule: {rounds: 0}\n", 2, 20, "schedule.rounds", "0 is out of range, expected an integer in 1...10000000", nil),
    (
      "clients: 8\nschedule: {clients_per_round: 9}\n", 2, 31, "schedule.clients_per_round",
      "9 is out of range, expected an integer in 1...8", nil
    ),
    (
      "aggregator: {name: fedavgg}\n", 1, 20, "aggregator.name",
      "'fedavgg' is not one of cdp, comigs, decor, fedavg, gossip, ldp, local, trust",
      "fedavg"
    ),
    ("devices: {dropout: 1.5}\n", 1, 20, "devices.dropout", "1.5 is out of range, expected a number in [0, 1]", nil),
    (
      "devices: {speed: fast}\n", 1, 18, "devices.speed", "expected a positive number or one of log_normal, uniform, trace, found 'fast'",
      nil
    ),
    (
      "model:\n  lora: {rank: 8, targets: [q_proj, w_pro]}\n", 2, 37, "model.lora.targets",
      "'w_pro' is not a projection (expected all or names among q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)", nil
    ),
    (
      "model:\n  lora: {rank: 8, targets: [q_proj, up_prj]}\n", 2, 37, "model.lora.targets",
      "'up_prj' is not a projection (expected all or names among q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)", "up_proj"
    ),
    (
      "data:\n  splits: {train: 0.8, validation: 0.3, test: 0.1}\n", 2, 11, "data.splits",
      "train + validation + test = 1.2000000000000002, expected 1", nil
    ),
    ("schedule: {optimizer: {name: adam}}\n", 1, 30, "schedule.optimizer.name", "'adam' is not one of adamw, sgd", "adamw"),
    (
      "topology: {kind: torus, rows: 3}\nclients: 8\n", 1, 31, "topology.rows", "rows × columns = 6, expected the number of clients (8)",
      nil
    ),
    ("schedule: {rounds: \"5\"}\n", 1, 20, "schedule.rounds", "expected an integer in 1...10000000, found the string \"5\"", nil),
    ("model: [1, 2]\n", 1, 8, "model", "expected a mapping of base, lora, mixture, init, found a list", nil),
    (
      "aggregator:\n  name: fedavg\n  options: {server_optimizer: adamm}\n", 3, 31, "aggregator.options.server_optimizer",
      "adamm is not valid, expected one of none, momentum, adam, yogi", nil
    ),
    (
      "privacy: {clip: 1.0}\n", 1, 10, "privacy.sigma_cdp",
      "missing required field (expected the private noise level (or target_epsilon to calibrate it))", nil
    ),
    (
      "clients: 8\nprivacy: {sigma_cdp: 1, curious: [0, 9]}\n", 2, 38, "privacy.curious[1]", "expected a client id in 0...7, found '9'", nil
    ),
    ("privacy: {sigma_cdp: 1, level: users}\n", 1, 32, "privacy.level", "'users' is not one of user, example", "user"),
    (
      "privacy: {sigma_cdp: 1, delta: 1}\n", 1, 32, "privacy.delta", "1 is out of range, expected a number in (0, 0.999999999]", nil
    ),
    (
      "data: {source: {kind: decor-quadratik}}\n", 1, 23, "data.source.kind",
      "'decor-quadratik' is not one of markov, text-dir, jsonl, fortune, decor-quadratic, linear, logistic", "decor-quadratic"
    ),
  ]

  @Test(arguments: 0..<badFiles.count)
  func reportsEachProblemWithItsLocation(index: Int) {
    let bad = Self.badFiles[index]
    #expect {
      try ScenarioDecoder.decode(bad.yaml, file: "bad.yaml")
    } throws: { error in
      guard let error = error as? ScenarioError, let issue = error.issues.first else { return false }
      let matches =
        issue.file == "bad.yaml" && issue.line == bad.line && issue.column == bad.column && issue.path == bad.path
        // Aggregators other tests register are named zz-test-…: the built-ins are what is checked.
        && issue.message.replacingOccurrences(of: #", zz-test-[a-z-]+"#, with: "", options: .regularExpression) == bad.message
        && issue.suggestion == bad.suggestion
      if !matches { Issue.record("got \(issue)") }
      return matches
    }
  }

  @Test func collectsEveryProblemInOnePass() {
    let yaml = "clients: 0\nschedule: {rounds: -1, mode: synch}\nnetwork: {uplink: {loss: 2}}\n"
    #expect {
      try ScenarioDecoder.decode(yaml, file: "f.yaml")
    } throws: { error in
      guard let error = error as? ScenarioError else { return false }
      let paths = error.issues.map(\.path)
      return paths.contains("clients") && paths.contains("schedule.rounds") && paths.contains("schedule.mode")
        && paths.contains("network.uplink.loss") && error.issues.first { $0.path == "schedule.mode" }?.suggestion == "sync"
    }
  }

  @Test func invalidYAMLAndDuplicatesAreLocated() {
    #expect {
      try ScenarioDecoder.decode("clients: 8\nschedule: {rounds: 3\n", file: "y.yaml")
    } throws: { error in
      guard let issue = (error as? ScenarioError)?.issues.first else { return false }
      return issue.message.hasPrefix("invalid YAML") && issue.line >= 2
    }
    #expect {
      try ScenarioDecoder.decode("clients: 8\nclients: 9\n", file: "y.yaml")
    } throws: { error in
      (error as? ScenarioError)?.issues.first?.message.contains("duplicate keys 'clients'") ?? false
    }
  }

  @Test func overridesAreValidatedLikeTheFile() throws {
    let scenario = try ScenarioDecoder.decode(
      Self.valid, file: "s.yaml",
      overrides: ["aggregator.name=local", "data.partition.alpha=0.1", "schedule.lr=3e-3", "output.dir=runs/x"])
    #expect(scenario.aggregator.name == "local")
    #expect(scenario.data.partition == .dirichlet(alpha: 0.1))
    #expect(scenario.schedule.learningRate == 3e-3)
    #expect(scenario.output.directory == "runs/x")
    #expect(
      throws: ScenarioError(issues: [
        ScenarioIssue(
          file: "--set schedule.rounds=many", line: 1, column: 17, path: "schedule.rounds",
          message: "expected an integer in 1...10000000, found 'many'", suggestion: nil)
      ])
    ) {
      try ScenarioDecoder.decode(Self.valid, file: "s.yaml", overrides: ["schedule.rounds=many"])
    }
    #expect {
      try ScenarioDecoder.decode(Self.valid, file: "s.yaml", overrides: ["schedul.rounds=3"])
    } throws: { error in
      let issue = (error as? ScenarioError)?.issues.first
      return issue?.file == "--set schedul.rounds=3" && issue?.suggestion == "schedule"
    }
    #expect(throws: ScenarioError.self) { try ScenarioDecoder.decode(Self.valid, file: "s.yaml", overrides: ["seed"]) }
    #expect(throws: ScenarioError.self) { try ScenarioDecoder.decode(Self.valid, file: "s.yaml", overrides: ["name.x=1"]) }
  }

  @Test func editDistanceSuggestions() {
    #expect(editDistance("kitten", "sitting") == 3)
    #expect(closestMatch(to: "shedule", among: ScenarioDecoder.topLevel) == "schedule")
    #expect(closestMatch(to: "zzz", among: ScenarioDecoder.topLevel) == nil)
  }
}

@Suite struct ShippedScenarioTests {
  /// Every scenario in scenarios/ decodes without a problem.
  @Test func shippedScenariosAreValid() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let folder = root.appendingPathComponent("scenarios")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
    #expect(!files.isEmpty)
    for file in files {
      let scenario = try ScenarioDecoder.decode(contentsOf: folder.appendingPathComponent(file))
      #expect(!scenario.name.isEmpty)
    }
  }
}
