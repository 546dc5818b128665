import Aggregation
import Foundation
import Simulation

extension Runner {
  /// This run as one rank of `cluster`: every rank runs the same scenario and seed, trains and
  /// evaluates the clients it owns, and exchanges the results; metrics and trace hash are the
  /// same bits as a single process's. Only the leader (rank 0) writes the run folder: the other
  /// ranks write theirs in a scratch folder that `runAsRank` removes.
  public func distributed(over cluster: any Cluster) -> Runner {
    var runner = self
    runner.cluster = cluster
    if !cluster.isLeader {
      runner.output = FileManager.default.temporaryDirectory
        .appendingPathComponent("fedsim-rank-\(cluster.rank)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        .appendingPathComponent(output.lastPathComponent)
    }
    return runner
  }

  /// Runs this rank's part. A rank that fails tells the others (`Cluster.fail`), so that no rank
  /// waits for it forever; one that finishes takes part in the closing exchange
  /// (`Cluster.close`). The ranks other than the leader remove their scratch folder.
  @discardableResult
  public func runAsRank(log: @escaping (String) -> Void, progress: @escaping (RoundProgress) -> Void) throws(RunError) -> [String: Double] {
    defer {
      if !cluster.isLeader { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
    }
    do {
      let summary = try run(log: log, progress: progress)
      cluster.close()
      return summary
    } catch {
      cluster.fail(error.description)
      throw error
    }
  }

  /// What distributed runs cannot do yet: a typed refusal naming the field.
  func checkDistributable(_ aggregator: any Aggregator) throws(RunError) {
    guard cluster.size > 1 else { return }
    let s = scenario
    if s.output.saveAdapters {
      throw .unsupported(
        field: "output.adapters", value: "true", reason: "each rank holds only its own clients' adapters in a distributed run")
    }
    if resumePoint != nil {
      throw .unsupported(field: "--resume", value: scenarioFile, reason: "distributed runs do not write checkpoints yet")
    }
  }
}
