/// Synchronous rounds with a server (FedAvg's schedule, with Bonawitz et al.'s over-selection
/// and deadlines): sample a cohort, wait for reports until enough arrived, everyone answered or
/// the deadline passed, aggregate if at least `minimumReports` arrived.
public struct SynchronousRounds: Sendable, Equatable, Hashable, Codable {
  public var rounds: Int
  /// Reports the server waits for in a round.
  public var clientsPerRound: Int
  /// Extra fraction of clients selected to absorb stragglers and dropouts (0.3 selects 30% more).
  public var overSelection: Double
  /// Seconds after the round start when the server stops waiting (nil: wait for everyone).
  public var deadline: Double?
  /// Fewer reports than this and the round fails (no aggregation).
  public var minimumReports: Int
  /// Seconds to wait before the next round when no client could be selected.
  public var idleWait: Double

  public init(
    rounds: Int, clientsPerRound: Int, overSelection: Double = 0, deadline: Double? = nil,
    minimumReports: Int = 1, idleWait: Double = 60
  ) {
    self.rounds = rounds
    self.clientsPerRound = clientsPerRound
    self.overSelection = overSelection
    self.deadline = deadline
    self.minimumReports = minimumReports
    self.idleWait = idleWait
  }
}

/// Asynchronous buffered aggregation (FedBuff, Nguyen et al. 2022): `concurrency` clients train
/// at any time; the server aggregates every `bufferSize` reports into a new model version.
public struct BufferedAsynchronous: Sendable, Equatable, Hashable, Codable {
  /// Model versions to produce.
  public var serverUpdates: Int
  public var concurrency: Int
  public var bufferSize: Int
  /// Reports older than this many versions are discarded (nil: keep all).
  public var maxStaleness: Int?
  public var idleWait: Double

  public init(serverUpdates: Int, concurrency: Int, bufferSize: Int, maxStaleness: Int? = nil, idleWait: Double = 60) {
    self.serverUpdates = serverUpdates
    self.concurrency = concurrency
    self.bufferSize = bufferSize
    self.maxStaleness = maxStaleness
    self.idleWait = idleWait
  }
}

/// Everything about the simulated world except the learning task.
public struct SimulationSettings: Sendable, Equatable, Hashable, Codable {
  /// Registered clients (the population).
  public var clients: Int
  public var seed: UInt64
  /// Worker threads for local work; never changes results.
  public var workers: Int
  public var devices: DeviceModel
  public var network: NetworkModel
  /// Keep every event record (for a trace file); the trace hash is always computed.
  public var keepsTrace: Bool
  /// Stop with an error past this simulated time.
  public var maxSimulatedTime: SimulatedTime

  public init(
    clients: Int, seed: UInt64 = 0, workers: Int = 1, devices: DeviceModel = DeviceModel(),
    network: NetworkModel = NetworkModel(), keepsTrace: Bool = false, maxSimulatedTime: SimulatedTime = 1e12
  ) {
    self.clients = clients
    self.seed = seed
    self.workers = workers
    self.devices = devices
    self.network = network
    self.keepsTrace = keepsTrace
    self.maxSimulatedTime = maxSimulatedTime
  }

  public func validate() throws(SimulationError) {
    if clients <= 0 { throw .invalidParameter(field: "clients", value: "\(clients)", expected: "a positive integer") }
    if workers <= 0 { throw .invalidParameter(field: "workers", value: "\(workers)", expected: "a positive integer") }
    try devices.validate()
    try network.validate()
  }
}

/// What happened in one round (or, asynchronously, between two model versions).
public struct RoundSummary: Sendable, Equatable, Codable {
  public var round: Int
  public var startTime: SimulatedTime
  public var endTime: SimulatedTime
  /// Clients dispatched.
  public var selected = 0
  /// Reports aggregated.
  public var aggregatedReports = 0
  /// Clients that crashed.
  public var dropouts = 0
  /// Messages lost in either direction.
  public var lostMessages = 0
  /// Reports that arrived after the round closed, or too stale.
  public var discardedReports = 0
  /// Local results the task refused (`LocalReport.rejected`): never sent.
  public var rejectedReports = 0
  /// Whose results were refused, and for which round (the round a late result belongs to may be
  /// an earlier one), in event order.
  public var rejectedWork: [RejectedWork] = []
  public var bytesDown = 0
  public var bytesUp = 0
  public var aggregated = false
  public var meanStaleness = 0.0
  public var maxStaleness = 0
  /// Weighted means of the aggregated reports' metrics.
  public var clientMetrics: [String: Double] = [:]

  public init(round: Int, startTime: SimulatedTime) {
    self.round = round
    self.startTime = startTime
    self.endTime = startTime
  }
}

/// A client's local result that the task refused.
public struct RejectedWork: Sendable, Equatable, Codable, Hashable {
  public let client: ClientID
  /// The round (or dispatch) the work belonged to.
  public let round: Int

  public init(client: ClientID, round: Int) {
    self.client = client
    self.round = round
  }
}

/// The outcome of a simulation.
public struct SimulationResult: Sendable {
  public let rounds: [RoundSummary]
  /// The setup phase of a decentralized run (key exchange), when the task has one.
  public var setup: SetupSummary? = nil
  public let trace: EventTrace
  public let simulatedTime: SimulatedTime
  /// Clients that hold persistent state at the end.
  public let clientsWithState: Int

  @usableFromInline
  init(rounds: [RoundSummary], setup: SetupSummary? = nil, trace: EventTrace, simulatedTime: SimulatedTime, clientsWithState: Int) {
    self.rounds = rounds
    self.setup = setup
    self.trace = trace
    self.simulatedTime = simulatedTime
    self.clientsWithState = clientsWithState
  }
}

/// The messages exchanged before the first round (e.g. public keys for per-edge secrets).
public struct SetupSummary: Sendable, Equatable {
  /// Distinct (sender, receiver) messages delivered.
  public var messages = 0
  /// Bytes sent, retransmissions included.
  public var bytes = 0
  /// Retransmissions after a lost message.
  public var retransmissions = 0
  /// When the last setup message arrived (the first round starts then).
  public var endTime: SimulatedTime = 0
}
