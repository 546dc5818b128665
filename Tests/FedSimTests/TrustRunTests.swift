import Foundation
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
