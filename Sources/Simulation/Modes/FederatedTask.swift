/// A client's identifier: 0 ..< population.
public typealias ClientID = Int

/// What one client's local work produced.
public struct LocalReport<Message: Sendable>: Sendable {
  /// What the client sends back.
  public var message: Message
  /// Its weight in aggregation (typically the number of local samples).
  public var weight: Double
  /// Scalars to record (e.g. "train_loss").
  public var metrics: [String: Double]
  /// The task refused its own result (non-finite values, say): nothing is sent, and the round
  /// counts it in `RoundSummary.rejectedReports`.
  public var rejected: Bool

  public init(message: Message, weight: Double, metrics: [String: Double] = [:], rejected: Bool = false) {
    self.message = message
    self.weight = weight
    self.metrics = metrics
    self.rejected = rejected
  }
}

/// A report as the server receives it.
public struct ArrivedReport<Message: Sendable>: Sendable {
  public let client: ClientID
  public let report: LocalReport<Message>
  /// The server round (or model version) the client started from.
  public let startedFrom: Int
  /// Server versions published between the client's start and this arrival (0 in synchronous rounds).
  public let staleness: Int
  public let arrivalTime: SimulatedTime

  @inlinable
  init(client: ClientID, report: LocalReport<Message>, startedFrom: Int, staleness: Int, arrivalTime: SimulatedTime) {
    self.client = client
    self.report = report
    self.startedFrom = startedFrom
    self.staleness = staleness
    self.arrivalTime = arrivalTime
  }
}

/// The learning side of a server-based federation, as the simulator sees it. The simulator knows
/// nothing of models: it asks how big a message is, how many FLOPs local work costs, runs the
/// local work on its worker pool and hands the reports to the server in arrival order.
///
/// `localWork` is called concurrently for different clients: it may read shared immutable data
/// (a frozen base model) and mutate only the `state` it is given and per-`worker` scratch.
/// Everything else runs on the simulator's thread.
public protocol FederatedTask: AnyObject, Sendable {
  associatedtype Message: Sendable
  associatedtype ClientState: Sendable

  /// A client's persistent state, created the first time it is selected (so memory grows with
  /// the clients that took part, not with the population).
  func makeClientState(for client: ClientID) -> ClientState
  /// Serialized size of a message in bytes: what the network model charges for.
  func serializedBytes(of message: Message) -> Int
  /// FLOPs of one local work unit of `client`, known before it runs (simulated compute time).
  func localWorkFLOPs(client: ClientID, state: ClientState) -> Double
  /// Memory the client needs to train, compared with its device's memory cap.
  func requiredMemoryBytes(client: ClientID) -> Double
  /// The message the server sends to a client it dispatches now.
  func serverMessage() -> Message
  /// The message for one client dispatched for `round` (the server version in buffered mode):
  /// personalised federations send each client its own model. Defaults to `serverMessage()`.
  func serverMessage(for client: ClientID, round: Int) -> Message
  /// Local work from the received message. Runs on a worker thread.
  func localWork(client: ClientID, state: inout ClientState, received: Message, round: Int, worker: Int) -> LocalReport<Message>
  /// A job's outcome, on the simulator thread, for every job in the order jobs were queued,
  /// whichever rank ran it (bookkeeping such as participation counts belongs here, not in
  /// `localWork`, so that every rank of a distributed run keeps it). Default: nothing.
  func finishedLocalWork(client: ClientID, state: ClientState, report: LocalReport<Message>, round: Int)
  /// Combines reports into the server model; called on the simulator thread, reports in arrival
  /// order (none when the task streams them: it has already seen each in `accept`).
  func aggregate(reports: [ArrivedReport<Message>], round: Int, time: SimulatedTime)
  /// Whether accepted reports are handed to `accept` one by one as they arrive and then dropped,
  /// instead of being held until `aggregate` (default false).
  var streamsReports: Bool { get }
  /// A report accepted for the aggregation of `round` (the server version in buffered mode), on
  /// the simulator thread.
  func accept(_ report: ArrivedReport<Message>, round: Int)
}

extension FederatedTask {
  public func requiredMemoryBytes(client: ClientID) -> Double { 0 }
  public var streamsReports: Bool { false }
  public func serverMessage(for client: ClientID, round: Int) -> Message { serverMessage() }
  public func accept(_ report: ArrivedReport<Message>, round: Int) {}
  public func finishedLocalWork(client: ClientID, state: ClientState, report: LocalReport<Message>, round: Int) {}
}
