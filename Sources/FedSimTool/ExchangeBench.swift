import ArgumentParser
import Foundation
import Simulation

/// The cost of one exchange between the ranks of an MPI job: the constants of the cost model in
/// docs/scaling.md. Run it under mpirun with the MPI build (one process measures nothing).
struct ExchangeBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "exchange",
    abstract: "Latency and throughput of an all-gather between the ranks (run under mpirun with the MPI build).")

  @Option(help: "Comma-separated bytes each rank contributes per exchange.") var sizes: String = "0,1024,65536,1048576,8388608"
  @Option(help: "Exchanges per size (after 3 warm-up exchanges).") var repeats: Int = 50
  @Flag(help: "One JSON object per size.") var json = false

  func run() throws {
    let cluster = ToolCluster.current
    let byteCounts = try sizes.split(separator: ",").map { text -> Int in
      guard let n = Int(text), n >= 0 else { throw ValidationError("--sizes: '\(text)' is not a byte count") }
      return n
    }
    guard repeats > 0 else { throw ValidationError("--repeats must be positive, got \(repeats)") }
    if cluster.size == 1 && cluster.isLeader && !json {
      print("one process: nothing to exchange (run under mpirun -np N with the MPI build: scripts/build-mpi.sh)")
    }
    if cluster.isLeader && !json { print("ranks  bytes/rank   latency µs   per-rank MB/s   all-gather MB/s") }
    for bytes in byteCounts {
      let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: cluster.rank), count: bytes)
      for _ in 0..<3 { _ = try cluster.exchange(payload) }
      let start = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<repeats {
        let parts = try cluster.exchange(payload)
        guard parts.count == cluster.size, parts.enumerated().allSatisfy({ $0.element.count == bytes }) else {
          throw ValidationError("the exchange returned the wrong parts")
        }
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeats)
      guard cluster.isLeader else { continue }
      let sent = Double(bytes) / seconds / 1e6
      let gathered = Double(bytes * cluster.size) / seconds / 1e6
      if json {
        print(
          "{\"ranks\": \(cluster.size), \"bytes_per_rank\": \(bytes), \"latency_us\": \(seconds * 1e6), \"rank_mb_s\": \(sent), \"allgather_mb_s\": \(gathered)}"
        )
      } else {
        print(
          String(format: "%5d  %10d  %11.1f  %14.1f  %16.1f", cluster.size, bytes, seconds * 1e6, sent, gathered))
      }
    }
    cluster.close()
  }
}
