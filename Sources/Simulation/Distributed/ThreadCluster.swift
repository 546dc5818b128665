import Foundation

/// Ranks as threads of one process, exchanging bytes through shared memory: the distributed
/// code path without MPI, for tests and for checking a scenario's equivalence on one machine.
///
/// `ThreadCluster.ranks(n)` returns one communicator per rank; run each rank's simulation on its
/// own thread.
public final class ThreadCluster: Cluster, @unchecked Sendable {
  // @unchecked Sendable: the shared exchange is guarded by its condition lock.
  public let rank: Int
  public var size: Int { shared.size }
  public let ledger = ExchangeLedger()
  private let shared: Shared

  private init(rank: Int, shared: Shared) {
    self.rank = rank
    self.shared = shared
  }

  /// Communicators for `count` ranks sharing one exchange.
  public static func ranks(_ count: Int) -> [ThreadCluster] {
    precondition(count > 0, "a cluster needs at least one rank")
    let shared = Shared(size: count)
    return (0..<count).map { ThreadCluster(rank: $0, shared: shared) }
  }

  public func allGather(_ bytes: [UInt8]) throws(ClusterError) -> [[UInt8]] { shared.allGather(bytes, rank: rank) }

  public func finish() {}

  /// The slots of one all-gather at a time; a generation counter tells waiters theirs is done.
  final class Shared: @unchecked Sendable {
    // @unchecked Sendable: every field is read and written under `condition`.
    let size: Int
    private let condition = NSCondition()
    private var slots: [[UInt8]]
    private var arrived = 0
    private var generation = 0
    private var result: [[UInt8]] = []

    init(size: Int) {
      self.size = size
      slots = Array(repeating: [], count: size)
    }

    func allGather(_ bytes: [UInt8], rank: Int) -> [[UInt8]] {
      condition.lock()
      defer { condition.unlock() }
      let mine = generation
      slots[rank] = bytes
      arrived += 1
      if arrived == size {
        // Nobody can start the next gather before every rank has left this one, so `result`
        // stays until all have read it.
        result = slots
        arrived = 0
        generation += 1
        condition.broadcast()
        return result
      }
      while generation == mine { condition.wait() }
      return result
    }
  }
}
