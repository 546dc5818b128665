import Foundation

/// The processes ("ranks") that share one simulation in a distributed run.
///
/// Every rank runs the same event kernel; the clients are partitioned across ranks (client `c`
/// belongs to rank `c mod size`) and a rank runs the local work of its own clients only. After
/// each batch of local work the ranks exchange their results (`exchange`), and every rank
/// applies all of them in the order a single process would, so metrics and trace are the same
/// bits for any number of ranks.
///
/// A transport implements `allGather`; FedSim provides `SingleProcess` (one rank),
/// `ThreadCluster` (ranks as threads of one process, for tests) and, in builds with the `MPI`
/// trait, `MPICluster` (module FedSimMPI).
public protocol Cluster: AnyObject, Sendable {
  /// This process's rank: 0 ..< size.
  var rank: Int { get }
  /// The number of ranks.
  var size: Int { get }
  /// The transport: every rank calls this with its bytes, in the same sequence of calls, and
  /// every rank gets all of them in rank order. Use `exchange`, which also carries failures.
  func allGather(_ bytes: [UInt8]) throws(ClusterError) -> [[UInt8]]
  /// What this rank's exchanges sent and received, and what it learnt of failed ranks (kept by
  /// the transport, filled by `exchange`).
  var ledger: ExchangeLedger { get }
  /// Ends the transport (MPI_Finalize) once this rank's last exchange is done.
  func finish()
}

extension Cluster {
  /// The rank that owns `client`'s state and runs its local work.
  public func owner(of client: ClientID) -> Int { client % size }

  /// Whether this rank owns `client`.
  public func owns(_ client: ClientID) -> Bool { size == 1 || client % size == rank }

  /// Whether this rank writes results (rank 0).
  public var isLeader: Bool { rank == 0 }

  /// Every rank's bytes, in rank order. Throws when a rank sent its failure (`fail`) instead:
  /// that rank takes part in no further exchange, and neither should this one.
  public func exchange(_ bytes: [UInt8]) throws(ClusterError) -> [[UInt8]] {
    if let failed = ledger.peer { throw ClusterError(operation: "exchange", reason: failed) }
    guard size > 1 else { return [bytes] }
    let start = DispatchTime.now().uptimeNanoseconds
    let parts = try allGather([Self.dataTag] + bytes)
    ledger.note(
      sent: bytes.count + 1, received: parts.reduce(0) { $0 + $1.count },
      seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    guard parts.count == size else {
      throw ClusterError(operation: "exchange", reason: "\(parts.count) parts for \(size) ranks")
    }
    if let failed = parts.firstIndex(where: { $0.first != Self.dataTag }) {
      let reason = "rank \(failed) failed: \(String(decoding: parts[failed].dropFirst(), as: UTF8.self))"
      ledger.notePeer(reason)
      throw ClusterError(operation: "exchange", reason: reason)
    }
    return parts.map { Array($0.dropFirst()) }
  }

  /// This rank failed with `message`: it takes part in one last exchange carrying the failure,
  /// so that the others stop at their next exchange instead of waiting for it. Does nothing
  /// when another rank's failure was already seen (that rank exchanges no more).
  public func fail(_ message: String) {
    guard size > 1, ledger.peer == nil, ledger.noteOwn() else { return }
    _ = try? allGather([Self.failureTag] + Array(message.utf8))
  }

  /// The closing exchange of a rank that finished its part: it matches a failing rank's last
  /// exchange, so that no rank ends while another waits for it.
  public func close() {
    guard size > 1, ledger.peer == nil, ledger.noteOwn() else { return }
    _ = try? exchange([])
  }

  static var dataTag: UInt8 { 0 }
  static var failureTag: UInt8 { 1 }
}

/// One rank's account of its exchanges: how many, the bytes it sent and received, the time spent
/// in them (waiting for the slowest rank included); and what it knows of failures — another
/// rank's (that rank exchanges no more) and whether this rank already sent its last exchange.
public final class ExchangeLedger: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var peerFailure: String?
  private var ownSent = false
  private var running = ExchangeTotals()

  public init() {}

  /// Exchanges, bytes and seconds so far.
  public var totals: ExchangeTotals {
    lock.lock()
    defer { lock.unlock() }
    return running
  }

  /// Another rank's failure, once seen.
  public var peer: String? {
    lock.lock()
    defer { lock.unlock() }
    return peerFailure
  }

  func note(sent: Int, received: Int, seconds: Double) {
    lock.lock()
    running.exchanges += 1
    running.bytesSent += sent
    running.bytesReceived += received
    running.seconds += seconds
    lock.unlock()
  }

  func notePeer(_ reason: String) {
    lock.lock()
    if peerFailure == nil { peerFailure = reason }
    lock.unlock()
  }

  /// Marks this rank's last exchange as sent; false when it already was.
  func noteOwn() -> Bool {
    lock.lock()
    defer { lock.unlock() }
    if ownSent { return false }
    ownSent = true
    return true
  }
}

/// What one rank's exchanges amounted to.
public struct ExchangeTotals: Sendable, Equatable {
  public var exchanges = 0
  /// Bytes this rank contributed (its own part of every all-gather).
  public var bytesSent = 0
  /// Bytes it got back (every rank's parts, its own included).
  public var bytesReceived = 0
  /// Wall seconds inside exchanges, waiting for the slowest rank included.
  public var seconds = 0.0
}

/// A collective operation failed.
public struct ClusterError: Error, CustomStringConvertible, Sendable {
  public let operation: String
  public let reason: String

  public init(operation: String, reason: String) {
    self.operation = operation
    self.reason = reason
  }

  public var description: String { "\(operation) failed: \(reason)" }
}

/// One process holding every client: the default.
public final class SingleProcess: Cluster {
  public let ledger = ExchangeLedger()
  public init() {}
  public var rank: Int { 0 }
  public var size: Int { 1 }
  public func allGather(_ bytes: [UInt8]) throws(ClusterError) -> [[UInt8]] { [bytes] }
  public func finish() {}
}
