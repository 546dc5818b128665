import Aggregation
import Foundation

/// The first error recorded by any thread.
final class FirstError: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var error: RunError?

  func record(_ error: RunError) {
    lock.lock()
    defer { lock.unlock() }
    if self.error == nil { self.error = error }
  }

  var first: RunError? {
    lock.lock()
    defer { lock.unlock() }
    return error
  }
}

/// The `AggregationReport`s of each round: the server's, and one per receiver that mixes (they
/// mix in parallel, on any rank); `take` joins them, the server's first, then by receiver id.
final class AggregationReports: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var server: [Int: AggregationReport] = [:]
  private var receivers: [Int: [Int: AggregationReport]] = [:]

  /// The report `receiver` (nil: the server) records into in `round`.
  func report(for round: Int, receiver: Int? = nil) -> AggregationReport {
    lock.lock()
    defer { lock.unlock() }
    guard let receiver else {
      if let report = server[round] { return report }
      let report = AggregationReport()
      server[round] = report
      return report
    }
    if let report = receivers[round]?[receiver] { return report }
    let report = AggregationReport()
    receivers[round, default: [:]][receiver] = report
    return report
  }

  /// What `receiver` recorded in `round`, if anything (left in place).
  func recorded(round: Int, receiver: Int) -> AggregationReport? {
    lock.lock()
    defer { lock.unlock() }
    return receivers[round]?[receiver]
  }

  /// The round's reports joined, removed (nil when nothing aggregated in it).
  func take(round: Int) -> AggregationReport? {
    lock.lock()
    let own = server.removeValue(forKey: round)
    let mixed = receivers.removeValue(forKey: round) ?? [:]
    lock.unlock()
    guard own != nil || !mixed.isEmpty else { return nil }
    let joined = AggregationReport()
    if let own { joined.append(contentsOf: own) }
    for (_, report) in mixed.sorted(by: { $0.key < $1.key }) { joined.append(contentsOf: report) }
    return joined
  }
}
