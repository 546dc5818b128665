import Foundation
import Learning
import Testing

@testable import FedSim

/// Trust-weighted aggregation through `fedsim run`: evidence, warm-up, recorded trust matrices.
@Suite struct TrustRunTests {
  func run(_ overrides: [String]) throws -> [[String: Any]] {
    let tests = RunnerTests()
    let all =
      [
        "schedule.mode=gossip", "topology.kind=complete", "aggregator.name=trust", "devices.dropout=0", "network={}",
        "schedule.rounds=4", "data.partition={kind: domain-per-client}", "data.public_fraction=0.2",
      ] + overrides
    let out = tests.temporary("trust")
    _ = try tests.run(workers: 2, out: out, cache: tests.temporary("cache"), overrides: all)
    let text = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
  }

  func matrices(_ records: [[String: Any]]) -> [(round: Int, matrix: [[Double]])] {
    records.filter { $0["kind"] as? String == "mixing" }.map { ($0["round"] as! Int, $0["matrix"] as! [[Double]]) }
  }

  @Test(arguments: ["validation", "prediction", "weights"])
  func schemesRecordStochasticTrustMatricesAfterTheWarmUp(scheme: String) throws {
    let records = try run(["aggregator.options={scheme: \(scheme), warmup_rounds: 2}"])
    let recorded = matrices(records)
    #expect(recorded.map(\.round) == [2, 3])
    for (_, matrix) in recorded {
      #expect(matrix.count == 4)
      for (i, row) in matrix.enumerated() {
        #expect(abs(row.reduce(0, +) - 1) < 1e-9)
        #expect(row.allSatisfy { $0 >= 0 })
        // Every client trusts itself at least as much as the average peer.
        #expect(row[i] >= 0.25 - 1e-9)
      }
    }
    // Nothing is sent during the warm-up.
    let rounds = records.filter { $0["kind"] as? String == "round" }
    #expect(rounds.prefix(2).allSatisfy { $0["bytes_up"] as? Int == 0 })
    #expect(rounds.suffix(2).allSatisfy { ($0["bytes_up"] as? Int ?? 0) > 0 })
  }

  /// With only the A matrices shared, each peer is judged as the model the receiver would hold:
  /// the peer's A over the receiver's own B.
  @Test(arguments: ["peers", "server"])
  func validationTrustWithPartialSharing(placement: String) throws {
    let mode = placement == "server" ? ["schedule.mode=sync", "schedule.clients_per_round=4"] : []
    let records = try run(["aggregator.options={scheme: validation, warmup_rounds: 1, share: lora_A, placement: \(placement)}"] + mode)
    let recorded = matrices(records)
    #expect(recorded.map(\.round) == [1, 2, 3])
    for (_, matrix) in recorded { for row in matrix { #expect(abs(row.reduce(0, +) - 1) < 1e-9) } }
  }

  @Test func predictionMessagesCarryTheirPredictions() throws {
    let plain = try run(["aggregator.options={scheme: weights}"])
    let predictions = try run(["aggregator.options={scheme: prediction, prediction_top_k: 5, reference_windows: 2}"])
    let bytes = { (records: [[String: Any]]) in records.filter { $0["kind"] as? String == "round" }.last?["bytes_up"] as? Int ?? 0 }
    // 4 clients × 3 peers, each message 2 windows × 32 positions × 5 logits × 6 bytes larger.
    #expect(bytes(predictions) - bytes(plain) == 12 * 2 * 32 * 5 * 6)
  }

  @Test func uniformTrustMakesEveryClientIdentical() throws {
    let records = try run(["aggregator.options={scheme: uniform}"])
    for record in records where record["kind"] as? String == "round" {
      #expect((record["consensus_distance"] as? Double ?? 1) < 1e-5)
    }
    for (_, matrix) in matrices(records) {
      for row in matrix { for value in row { #expect(abs(value - 0.25) < 1e-12) } }
    }
  }
}

@Suite struct ServerTrustRunTests {
  /// The run's metrics records and each client's final adapter values.
  func run(_ options: String) throws -> ([[String: Any]], [[Float]]) {
    let tests = RunnerTests()
    let out = tests.temporary("server-trust")
    _ = try tests.run(
      workers: 2, out: out, cache: tests.temporary("cache"),
      overrides: [
        "aggregator.name=trust", "aggregator.options={placement: server, warmup_rounds: 1, \(options)}", "devices.dropout=0",
        "network={}", "schedule.clients_per_round=4", "schedule.rounds=3", "data.partition={kind: domain-per-client}",
        "data.public_fraction=0.2", "output.adapters=true",
      ])
    let text = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let records = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    let scenario = try ScenarioDecoder.decode(RunnerTests.scenarioText, file: "tiny.yaml")
    guard case .builtIn(let config, _, _) = scenario.model.base else { throw RunError.model("expected a built-in base") }
    let adapters = try (0..<4).map { client -> [Float] in
      let adapter = try AdapterCheckpoint.load(from: out.appendingPathComponent("adapters/client-\(client)"), model: config)
      return adapter.parameters.storage.toArray()
    }
    return (records, adapters)
  }

  @Test func aServerSendsEachClientItsOwnTrustWeightedModel() throws {
    let (records, adapters) = try run("scheme: validation")
    let rounds = records.filter { $0["kind"] as? String == "round" }
    // Warm-up: nothing travels; afterwards both directions carry adapters.
    #expect(rounds[0]["bytes_up"] as? Int == 0 && rounds[0]["bytes_down"] as? Int == 0)
    #expect((rounds[2]["bytes_up"] as? Int ?? 0) > 0 && (rounds[2]["bytes_down"] as? Int ?? 0) > 0)
    let matrices = records.filter { $0["kind"] as? String == "mixing" }.map { $0["matrix"] as! [[Double]] }
    #expect(matrices.count == 2)
    for matrix in matrices {
      for row in matrix { #expect(abs(row.reduce(0, +) - 1) < 1e-9) }
      // Personalised: the rows differ between clients.
      #expect(Set(matrix.map { $0.map { ($0 * 1e6).rounded() } }).count > 1)
    }
    // Each client ends with its own model.
    #expect(Set(adapters).count == 4)
  }

  /// The same trust computed by every client over a complete graph or by a server for every
  /// client gives the same models: identical evaluations, round by round.
  @Test(arguments: ["validation", "prediction"])
  func serverAndPeerPlacementsAgreeExactly(scheme: String) throws {
    let tests = RunnerTests()
    let common = [
      "aggregator.name=trust", "devices.dropout=0", "network={}", "schedule.rounds=3", "data.partition={kind: domain-per-client}",
      "data.public_fraction=0.2",
    ]
    func evaluations(_ overrides: [String]) throws -> [String] {
      let out = tests.temporary("placement")
      _ = try tests.run(workers: 2, out: out, cache: tests.temporary("cache"), overrides: common + overrides)
      let text = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      return text.split(separator: "\n").filter { $0.contains("client_eval") }.map {
        $0.replacingOccurrences(of: #", "sim_time": [0-9.e+-]+"#, with: "", options: .regularExpression)
      }
    }
    let peers = try evaluations([
      "schedule.mode=gossip", "topology.kind=complete", "aggregator.options={scheme: \(scheme), warmup_rounds: 1}",
    ])
    let server = try evaluations([
      "schedule.mode=sync", "schedule.clients_per_round=4", "aggregator.options={scheme: \(scheme), warmup_rounds: 1, placement: server}",
    ])
    #expect(peers.count == 12 && peers == server)
  }

  @Test func uniformServerTrustIsUniformAveraging() throws {
    let (records, adapters) = try run("scheme: uniform")
    #expect(Set(adapters).count == 1)
    for record in records where record["kind"] as? String == "mixing" {
      for row in record["matrix"] as! [[Double]] { for value in row { #expect(abs(value - 0.25) < 1e-12) } }
    }
  }
}
