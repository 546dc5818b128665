import Aggregation
import Foundation
import Learning
import Testing

@testable import FedSim

/// End-to-end runs of a tiny scenario through the simulator and the run directory.
@Suite struct RunnerTests {
  static let scenarioText = """
    name: tiny
    seed: 4
    clients: 4
    model:
      base: {config: nano, dim: 32, layers: 1, heads: 2, ffn_dim: 64, context: 32, pretrain_steps: 20, pretrain_lr: 1.0e-2}
      lora: {rank: 2, alpha: 4}
    data:
      source: {kind: markov, domains: 2, vocabulary: 8, order: 1, documents_per_domain: 40, document_length: 64}
      partition: {kind: dirichlet, alpha: 1.0}
    devices: {speed: {log_normal: {median: 1.0e+9, sigma: 0.5}}, dropout: 0.1}
    network: {uplink: {latency: 0.02, bandwidth: 1.0e+6, loss: 0.05}}
    schedule: {mode: sync, rounds: 3, clients_per_round: 3, local_steps: 2, batch_size: 4, lr: 1.0e-2}
    aggregator: {name: fedavg}
    output: {trace: true}
    """

  func temporary(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-run-\(UUID().uuidString)").appendingPathComponent(name)
  }

  func run(workers: Int, out: URL, cache: URL, overrides: [String] = []) throws -> String {
    let scenario = try ScenarioDecoder.decode(Self.scenarioText, file: "tiny.yaml", overrides: overrides)
    try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Runner(
      scenario: scenario, scenarioText: Self.scenarioText, overrides: overrides, workers: workers, output: out, cacheDirectory: cache
    )
    .run(log: { _ in }, progress: { _ in })
    // Metrics without the wall-clock fields, which are the only ones allowed to differ.
    let text = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    return text.split(separator: "\n").map { line in
      line.replacingOccurrences(of: #", "wall_time_s": [0-9.e+-]+"#, with: "", options: .regularExpression)
    }.joined(separator: "\n")
  }

  @Test func runsAreCompleteAndBitIdenticalWhateverTheWorkerCount() throws {
    let cache = temporary("cache")
    let first = temporary("a"), second = temporary("b"), third = temporary("c")
    let metricsA = try run(workers: 1, out: first, cache: cache)
    let metricsB = try run(workers: 1, out: second, cache: cache)
    let metricsC = try run(workers: 2, out: third, cache: cache)
    #expect(metricsA == metricsB && metricsA == metricsC)
    #expect(
      metricsA.contains("\"kind\": \"round\"") && metricsA.contains("\"kind\": \"client_eval\"") && metricsA.contains("mean_val_loss"))
    for file in ["metrics.jsonl", "summary.json", "clients.csv", "scenario.yaml", "resolved.json", "trace.hash", "trace.jsonl"] {
      #expect(FileManager.default.fileExists(atPath: first.appendingPathComponent(file).path), "\(file) missing")
    }
    let hashA = try String(contentsOf: first.appendingPathComponent("trace.hash"), encoding: .utf8)
    let hashC = try String(contentsOf: third.appendingPathComponent("trace.hash"), encoding: .utf8)
    #expect(hashA == hashC)
    // No temporary folder is left next to the finished runs.
    let siblings = try FileManager.default.contentsOfDirectory(atPath: first.deletingLastPathComponent().path)
    #expect(!siblings.contains { $0.contains("partial") })
    // Another seed gives another run.
    #expect(try run(workers: 1, out: temporary("d"), cache: cache, overrides: ["seed=5"]) != metricsA)
  }

  /// A label-flip adversary trains a language model on mirrored next tokens (t → V − 1 − t):
  /// with local training only, its evaluations change and every honest client's stay the same.
  @Test func labelFlipPoisonsOnlyTheAdversariesData() throws {
    let cache = temporary("cache")
    let local = ["aggregator={name: local}", "devices.dropout=0", "network.uplink.loss=0"]
    let clean = try run(workers: 1, out: temporary("clean"), cache: cache, overrides: local)
    let attacked = try run(
      workers: 1, out: temporary("flip"), cache: cache, overrides: local + ["adversaries={count: 1, attack: label-flip}"])
    let lines = { (text: String) in
      text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    let adversaries = try #require(lines(attacked).first?["clients"] as? [Int])
    #expect(adversaries.count == 1)
    func evaluations(_ text: String) -> [Int: Double] {
      var result: [Int: Double] = [:]
      // The last evaluation of each client on its validation split.
      for line in lines(text) where line["kind"] as? String == "client_eval" && line["split"] as? String == "validation" {
        if let client = line["client"] as? Int, let loss = line["loss"] as? Double { result[client] = loss }
      }
      return result
    }
    let (before, after) = (evaluations(clean), evaluations(attacked))
    #expect(!before.isEmpty && before.keys.sorted() == after.keys.sorted())
    for (client, loss) in before {
      if adversaries.contains(client) {
        #expect(try #require(after[client]) > loss, "adversary \(client)")
      } else {
        #expect(after[client] == loss, "honest client \(client)")
      }
    }
  }

  @Test func anExistingRunDirectoryIsNeverOverwritten() throws {
    let out = temporary("existing")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    try "keep me".write(to: out.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
    #expect(throws: RunError.self) { try run(workers: 1, out: out, cache: temporary("cache")) }
    #expect(try String(contentsOf: out.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep me")
  }

  @Test func localAggregatorSendsNothing() throws {
    let out = temporary("local")
    _ = try run(workers: 1, out: out, cache: temporary("cache"), overrides: ["aggregator.name=local"])
    let text = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    #expect(text.contains("\"bytes_up\": 0") && !text.contains("\"bytes_up\": 1"))
  }
}

@Suite struct DecentralizedRunTests {
  @Test func gossipRunsRecordConsensusAndAreDeterministic() throws {
    let tests = RunnerTests()
    let cache = tests.temporary("cache")
    let overrides = ["schedule.mode=gossip", "aggregator.name=gossip", "topology.kind=ring"]
    let a = try tests.run(workers: 1, out: tests.temporary("g1"), cache: cache, overrides: overrides)
    let b = try tests.run(workers: 2, out: tests.temporary("g2"), cache: cache, overrides: overrides)
    #expect(a == b)
    #expect(a.contains("consensus_distance") && a.contains("mean_train_loss"))
    let asynchronous = try tests.run(
      workers: 2, out: tests.temporary("g3"), cache: cache,
      overrides: ["schedule.mode=async-gossip", "aggregator.name=gossip", "topology.kind=complete"])
    #expect(asynchronous.contains("max_staleness"))
  }

  @Test func modeAndAggregatorMustAgree() throws {
    let tests = RunnerTests()
    // Caught when the scenario is read, with the field's location…
    for overrides in [["schedule.mode=gossip"], ["aggregator.name=gossip"]] {
      #expect {
        try tests.run(workers: 1, out: tests.temporary("x"), cache: tests.temporary("cache"), overrides: overrides)
      } throws: { error in
        (error as? ScenarioError)?.issues.first.map { $0.path == "schedule.mode" && $0.line > 0 } ?? false
      }
    }
    // …and by the runner for scenarios built in code.
    var scenario = try ScenarioDecoder.decode(RunnerTests.scenarioText, file: "tiny.yaml")
    scenario.schedule.mode = .gossip
    #expect(throws: RunError.self) {
      try Runner(
        scenario: scenario, scenarioText: "", overrides: [], workers: 1, output: tests.temporary("z"),
        cacheDirectory: tests.temporary("cache")
      ).run(log: { _ in }, progress: { _ in })
    }
  }
}

@Suite struct FedProxTests {
  /// With plain SGD, the proximal term pulls local training back towards the received adapter.
  @Test func proximalTermKeepsClientsNearTheGlobalModel() throws {
    func drift(mu: Double) throws -> Double {
      let scenario = try ScenarioDecoder.decode(
        RunnerTests.scenarioText, file: "tiny.yaml",
        overrides: [
          "schedule.optimizer.name=sgd", "schedule.lr=0.5", "schedule.local_steps=8", "schedule.gradient_clip=0",
          "aggregator.options.mu=\(mu)",
        ])
      let data = try ClientData.build(scenario.data, clients: scenario.clients, seed: scenario.seed)
      guard case .builtIn(let config, _, _) = scenario.model.base else { throw RunError.model("expected a built-in base") }
      let model = try DecoderLM(config: config)
      let learner = LoRALearner(
        model: model, weights: ParameterSet.llama(config, seed: 1, std: 0.2), lora: scenario.model.lora, data: data,
        schedule: scenario.schedule, seed: 1, workers: 1, perExample: false)
      let task = Federation(
        learner: learner, aggregator: try AggregatorRegistry.shared.make("fedavg", options: scenario.aggregator.options), privacy: nil,
        population: scenario.clients, seed: 1, runName: "fedprox", keysSeeded: true)
      // A received adapter with B ≠ 0, so the loss gradient moves every tensor.
      let received = task.global.enumerated().map { Float(($0.offset % 7) - 3) * 0.05 }
      var state = task.makeClientState(for: 0)
      let report = task.localWork(client: 0, state: &state, received: FederationMessage(values: received), round: 0, worker: 0)
      return zip(report.message.values, received).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
    }
    let free = try drift(mu: 0), anchored = try drift(mu: 1.5)
    #expect(free > 0)
    #expect(anchored < 0.7 * free)
  }
}

@Suite struct PartialSharingTests {
  /// FedSA-LoRA-style sharing of the A matrices only: every client ends with the global A and its
  /// own B, and sends less.
  @Test func sharingOnlyTheAMatricesKeepsBPersonal() throws {
    let tests = RunnerTests()
    let cache = tests.temporary("cache")
    let common = ["devices.dropout=0", "network={}", "schedule.clients_per_round=4", "output.adapters=true"]
    let partial = tests.temporary("partial"), full = tests.temporary("full")
    let partialMetrics = try tests.run(workers: 2, out: partial, cache: cache, overrides: common + ["aggregator.options={share: lora_A}"])
    let fullMetrics = try tests.run(workers: 2, out: full, cache: cache, overrides: common)
    func bytes(_ metrics: String) -> Int {
      metrics.split(separator: "\n").compactMap { line -> Int? in
        guard let range = line.range(of: #""bytes_up": [0-9]+"#, options: .regularExpression) else { return nil }
        return Int(line[range].split(separator: " ").last!)
      }.reduce(0, +)
    }
    #expect(bytes(partialMetrics) > 0 && bytes(partialMetrics) < bytes(fullMetrics))
    let scenario = try ScenarioDecoder.decode(RunnerTests.scenarioText, file: "tiny.yaml")
    guard case .builtIn(let config, _, _) = scenario.model.base else { throw RunError.model("expected a built-in base") }
    let adapters = try (0..<4).map {
      try AdapterCheckpoint.load(from: partial.appendingPathComponent("adapters/client-\($0)"), model: config)
    }
    var sawA = false, sawB = false
    for entry in adapters[0].parameters.layout.entries {
      let values = adapters.map { Array(UnsafeBufferPointer(start: $0.parameters.storage.pointer + entry.offset, count: entry.count)) }
      if entry.name.contains("lora_A") {
        sawA = true
        #expect(values.allSatisfy { $0 == values[0] }, "\(entry.name) differs across clients")
      } else {
        sawB = true
        #expect(Set(values).count > 1, "\(entry.name) is the same for every client")
      }
    }
    #expect(sawA && sawB)
    #expect(throws: AggregatorError.self) { try AggregatorRegistry.shared.make("fedavg", options: ["share": " , "]) }
  }
}
