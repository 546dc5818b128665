/// What an aggregator is told about the run before it starts, so that it can refuse a scenario
/// it cannot work in with an error located in the scenario file (Krum needs n ≥ 2f + 3 replies).
public struct AggregationSetup: Sendable, Equatable {
  public enum Schedule: Sendable, Equatable {
    /// A server aggregating `clientsPerRound` replies per round (fewer when clients drop out).
    case synchronousServer(clientsPerRound: Int)
    /// A server aggregating every `bufferSize` replies (buffered asynchronous, FedBuff).
    case bufferedServer(bufferSize: Int)
    /// Gossip: each client mixes with its neighbours; `degrees` is the range of the graph's
    /// degrees (nil when the graph changes every round or is not built yet).
    case gossip(degrees: ClosedRange<Int>?)
  }

  /// Registered clients.
  public let clients: Int
  public let schedule: Schedule

  public init(clients: Int, schedule: Schedule) {
    self.clients = clients
    self.schedule = schedule
  }

  /// The most replies one aggregation can hold: clients per round, the buffer, or the largest
  /// degree plus the receiver itself.
  public var largestAggregation: Int? {
    switch schedule {
    case .synchronousServer(let count): return count
    case .bufferedServer(let size): return size
    case .gossip(let degrees): return degrees.map { $0.upperBound + 1 }
    }
  }
}
