import Aggregation
import Foundation
import Learning
import Testing

@testable import FedSim

/// CoMiGS through `fedsim run`: what is shared, what stays, the two levels, determinism.
@Suite struct CoMiGSRunTests {
  static let text = """
    name: comigs-tiny
    seed: 2
    clients: 3
    model:
      base: {config: nano, dim: 32, layers: 2, heads: 2, ffn_dim: 48, context: 16, pretrain_steps: 20, pretrain_lr: 1.0e-2}
      lora: {rank: 2, alpha: 4, targets: [q_proj, v_proj, gate_proj, up_proj, down_proj]}
      mixture: {experts: 2, generalists: 1}
    data:
      source: {kind: markov, domains: 3, vocabulary: 8, order: 1, documents_per_domain: 12, document_length: 64}
      partition: {kind: domain-per-client}
      splits: {train: 0.6, validation: 0.2, test: 0.2}
    schedule: {mode: sync, rounds: 3, clients_per_round: 3, local_steps: 4, batch_size: 4, lr: 1.0e-2, router: {every: 2, steps: 2}}
    aggregator: {name: comigs}
    evaluation: {splits: [validation]}
    output: {adapters: true}
    """

  struct Outcome {
    let directory: URL
    let metrics: String
    let summary: [String: Double]
    func adapter(_ client: Int) throws -> Adapter {
      let scenario = try ScenarioDecoder.decode(CoMiGSRunTests.text, file: "c.yaml")
      guard case .builtIn(let config, _, _) = scenario.model.base else { throw RunError.model("no built-in base") }
      return try AdapterCheckpoint.load(from: directory.appendingPathComponent("adapters/client-\(client)"), model: config)
    }
  }

  func run(_ overrides: [String] = [], workers: Int = 1) throws -> Outcome {
    let scenario = try ScenarioDecoder.decode(Self.text, file: "c.yaml", overrides: overrides)
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-comigs-\(UUID().uuidString)")
    let summary = try Runner(
      scenario: scenario, scenarioText: Self.text, overrides: overrides, workers: workers, output: out,
      cacheDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-comigs-cache")
    ).run(log: { _ in }, progress: { _ in })
    let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .replacingOccurrences(of: #", "wall_time_s": [0-9.e+-]+"#, with: "", options: .regularExpression)
    return Outcome(directory: out, metrics: metrics, summary: summary)
  }

  @Test func generalistsAndAttentionAreSharedSpecialistsAndRoutersStay() throws {
    let outcome = try run()
    let adapters = try (0..<3).map { try outcome.adapter($0) }
    let layout = adapters[0].parameters.layout
    #expect(adapters[0].config.mixture == MixtureConfig(experts: 2, generalists: 1))
    var shared = 0
    for entry in layout.entries {
      let values = adapters.map { $0.parameters.values(entry.name) }
      if MixtureNames.isSpecialist(entry.name) || MixtureNames.isRouter(entry.name) {
        #expect(values[0] != values[1] && values[1] != values[2], "\(entry.name) should be personal")
      } else {
        #expect(values[0] == values[1] && values[1] == values[2], "\(entry.name) should be shared")
        shared += entry.count
      }
    }
    // Exactly the shared tensors travel: one upload and one download per client and round.
    let rounds = outcome.metrics.split(separator: "\n").filter { $0.contains("\"kind\": \"round\"") }
    for round in rounds {
      #expect(round.contains("\"bytes_up\": \(3 * shared * 4)") && round.contains("\"bytes_down\": \(3 * shared * 4)"), "\(round)")
    }
    #expect(outcome.metrics.contains("mean_val_generalist_share") && outcome.metrics.contains("\"generalist_share\""))
    #expect(outcome.summary["final_generalist_share_first_layer"] != nil)
  }

  @Test func runsAreBitIdenticalWithOneAndTwoWorkers() throws {
    #expect(try run(workers: 1).metrics == run(workers: 2).metrics)
  }

  /// Routers learn only in their own (validation) steps: with none scheduled they keep their
  /// initial values; pFedMoE-style joint routing trains them on the training batches instead.
  @Test func routersChangeOnlyInRouterSteps() throws {
    let initial = Adapter(config: try ScenarioDecoder.decode(Self.text, file: "c.yaml").model.lora, model: try outcomeConfig(), seed: 2)
    let noRouterSteps = try run(["schedule.router.every=1000"]).adapter(0)
    let withRouterSteps = try run().adapter(0)
    let joint = try run(["schedule.router.data=train"]).adapter(0)
    let router = MixtureNames.router(1)
    #expect(noRouterSteps.parameters.values(router) == initial.parameters.values(router))
    #expect(withRouterSteps.parameters.values(router) != initial.parameters.values(router))
    #expect(joint.parameters.values(router) != initial.parameters.values(router))
    // The experts trained either way.
    let specialist = MixtureNames.b(0, expert: 1, .down, MixtureConfig(experts: 2, generalists: 1))
    #expect(noRouterSteps.parameters.values(specialist) != initial.parameters.values(specialist))
  }

  @Test func variantsShareWhatTheirShapeSays() throws {
    func bytesUp(_ overrides: [String]) throws -> Int {
      let metrics = try run(overrides + ["schedule.rounds=1"]).metrics
      guard let range = metrics.range(of: #""bytes_up": [0-9]+"#, options: .regularExpression) else { return -1 }
      return Int(metrics[range].split(separator: " ").last!)!
    }
    let oneOne = try bytesUp([]), twoG = try bytesUp(["model.mixture.generalists=2"]), twoS = try bytesUp(["model.mixture.generalists=0"])
    #expect(twoG > oneOne && oneOne > twoS && twoS > 0)
    // The generalist's share of the bytes is what 2G adds and 2S removes.
    #expect(twoG - oneOne == oneOne - twoS)
  }

  /// System heterogeneity: clients with 2, 3 and 2 experts share the same generalists; a
  /// client's missing specialist is never trained, the others' are.
  @Test func clientsMayHoldDifferentNumbersOfSpecialists() throws {
    let outcome = try run(["model.mixture={experts_per_client: [2, 3, 2], generalists: 1}"])
    let adapters = try (0..<3).map { try outcome.adapter($0) }
    let mixture = MixtureConfig(experts: 3, generalists: 1)
    let extra = MixtureNames.b(0, expert: 2, .down, mixture)
    #expect(adapters[0].activeExperts == 2 && adapters[1].activeExperts == 3)
    #expect(adapters[0].parameters.values(extra).allSatisfy { $0 == 0 })  // B starts at 0 and stays
    #expect(adapters[1].parameters.values(extra).contains { $0 != 0 })
    let generalist = MixtureNames.a(1, expert: 0, .up, mixture)
    #expect(adapters[0].parameters.values(generalist) == adapters[2].parameters.values(generalist))
    #expect(adapters[0].parameters.values(generalist) == adapters[1].parameters.values(generalist))
    let plain = try run(["schedule.rounds=1"]).metrics,
      mixed = try run(["schedule.rounds=1", "model.mixture={experts_per_client: [2, 3, 2]}"]).metrics
    func bytes(_ m: String) -> String? { m.range(of: #""bytes_up": [0-9]+"#, options: .regularExpression).map { String(m[$0]) } }
    #expect(bytes(plain) == bytes(mixed))
    #expect(throws: ScenarioError.self) {
      try ScenarioDecoder.decode(Self.text, file: "c.yaml", overrides: ["model.mixture={experts_per_client: [2, 3]}"])
    }
  }

  /// Out of distribution every client's validation text mixes the domains: routing is reported
  /// per domain, per client and as a mean over clients; in distribution there is one domain.
  @Test func routingIsReportedPerDomainWhenTheTextMixesDomains() throws {
    let ood = try run(["data.target=out-of-distribution", "schedule.rounds=1"]).metrics
    let lines = ood.split(separator: "\n")
    let evaluation = try #require(lines.first { $0.contains("client_eval") && $0.contains("generalist_share_by_domain") })
    let record = try #require(try JSONSerialization.jsonObject(with: Data(evaluation.utf8)) as? [String: Any])
    let byDomain = try #require(record["generalist_share_by_domain"] as? [String: [Double]])
    #expect(byDomain.count == 3 && byDomain.values.allSatisfy { $0.count == 2 && $0.allSatisfy { (0...1).contains($0) } })
    #expect(lines.contains { $0.contains("\"kind\": \"round\"") && $0.contains("mean_val_generalist_share_by_domain") })
    let inDistribution = try run(["schedule.rounds=1"]).metrics
    #expect(!inDistribution.contains("generalist_share_by_domain"))
  }

  /// Markov data: the summary states the entropy-rate floor of the test loss and the gap to it.
  @Test func theTestLossIsReportedAgainstTheEntropyRateFloor() throws {
    let summary = try run(["evaluation.splits=[validation, test]", "schedule.rounds=1"]).summary
    let floor = try #require(summary["test_loss_floor"]), loss = try #require(summary["final_mean_test_loss"])
    #expect(floor > 0 && floor < log(8.0))  // below the uniform loss over 8 symbols
    #expect(abs(try #require(summary["final_test_loss_gap"]) - (loss - floor)) < 1e-12 && loss > floor)
  }

  @Test func comigsNeedsAMixture() {
    #expect(throws: ScenarioError.self) {
      try ScenarioDecoder.decode(Self.text.replacingOccurrences(of: "  mixture: {experts: 2, generalists: 1}\n", with: ""), file: "c.yaml")
    }
  }

  func outcomeConfig() throws -> ModelConfig {
    guard case .builtIn(let config, _, _) = try ScenarioDecoder.decode(Self.text, file: "c.yaml").model.base else {
      throw RunError.model("no built-in base")
    }
    return config
  }
}
