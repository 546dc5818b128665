import Foundation
import Randomness

/// A server-based federation on the discrete-event kernel: synchronous rounds or buffered
/// asynchronous aggregation, over heterogeneous devices and links.
///
/// Local work is computed lazily: a client's job is queued when its download arrives and all
/// queued jobs run in parallel on the worker pool the first time one of their results is needed.
/// Every job reads only its own inputs and writes only its own slot, and results are applied in
/// event order, so the trace and the metrics do not depend on the number of workers.
public final class ServerSimulation<Task: FederatedTask> {
  public typealias Mode = ServerSchedule

  // Events and keys do not depend on the task: top-level types keep the event queue and the
  // dictionaries keyed by them concrete (specialised) inside this generic class.
  @usableFromInline
  typealias Event = ServerEvent
  @usableFromInline
  typealias Key = DispatchKey

  @usableFromInline
  struct Dispatch {
    @usableFromInline
    let message: Task.Message
    @usableFromInline
    let startedFrom: Int

    @inlinable
    init(message: Task.Message, startedFrom: Int) {
      self.message = message
      self.startedFrom = startedFrom
    }
  }

  @usableFromInline
  struct Job: Sendable {
    @usableFromInline
    let client: ClientID
    @usableFromInline
    let key: Int
    @usableFromInline
    let message: Task.Message
    @usableFromInline
    var state: Task.ClientState
    /// When its compute-done event fires.
    @usableFromInline
    let done: SimulatedTime
    /// Dispatch order (breaks ties in `done` like the event queue does).
    @usableFromInline
    let order: Int

    @inlinable
    init(client: ClientID, key: Int, message: Task.Message, state: Task.ClientState, done: SimulatedTime, order: Int) {
      self.client = client
      self.key = key
      self.message = message
      self.state = state
      self.done = done
      self.order = order
    }
  }

  public let task: Task
  public let settings: SimulationSettings
  public let mode: Mode
  /// Called after each round summary is final (progress lines, metrics files).
  public var onRound: ((RoundSummary) -> Void)?
  /// Asked after every event: returning true ends the run with `SimulationError.stopped`.
  public var shouldStop: (() -> Bool)?
  /// Called after every event, before `shouldStop` (a checkpoint can be taken then: the state
  /// between two events is complete).
  public var afterEvent: (() -> Void)?

  @usableFromInline
  let pool: WorkerPool
  @usableFromInline
  var queue = EventQueue<Event>()
  @usableFromInline
  var trace: EventTrace
  @usableFromInline
  var states: [ClientID: Task.ClientState] = [:]
  @usableFromInline
  var busy = Set<ClientID>()
  @usableFromInline
  var dispatches: [Key: Dispatch] = [:]
  /// Local work queued but not run yet; sorted by finishing time only when jobs were added since
  /// the last sort (a round adds all its jobs at once and then runs them a batch at a time).
  @usableFromInline
  var pending: [Job] = []
  @usableFromInline
  var pendingSorted = true
  /// Bytes of the largest report seen so far (nil until one is not empty): sizes the batches.
  @usableFromInline
  var reportBytes: Int?
  @usableFromInline
  var jobCounter = 0
  @usableFromInline
  var results: [Key: LocalReport<Task.Message>] = [:]
  @usableFromInline
  var uploads: [Key: LocalReport<Task.Message>] = [:]
  @usableFromInline
  var now: SimulatedTime = 0
  @usableFromInline
  var summaries: [RoundSummary] = []
  @usableFromInline
  var current: RoundSummary
  @usableFromInline
  var finished = false

  // Synchronous rounds.
  @usableFromInline
  var roundOpen = false
  @usableFromInline
  var needed = 0
  @usableFromInline
  var outstanding = 0
  /// The replies held for `aggregate` (none when the task streams them).
  @usableFromInline
  var reports: [ArrivedReport<Task.Message>] = []
  /// What the summary needs of every accepted reply (kept even when streaming).
  @usableFromInline
  var arrivals: [Arrival] = []

  // Buffered asynchronous.
  @usableFromInline
  var version = 0
  @usableFromInline
  var dispatchCount = 0
  @usableFromInline
  var retryScheduled = false
  /// Restored from a checkpoint: `run()` continues instead of starting.
  @usableFromInline
  var resumed = false

  // Distributed runs (`distribute(over:)`): runs a batch on this rank's share and gathers the rest.
  @usableFromInline
  typealias Output = (Task.ClientState, LocalReport<Task.Message>)
  @usableFromInline
  var distributedBatch: (([Job]) throws(SimulationError) -> [Output])?
  /// The workers a batch is sized for: this process's, or every rank's in a distributed run.
  @usableFromInline
  var batchWorkers: Int
  @usableFromInline
  var clusterFailure: SimulationError?

  public init(task: Task, settings: SimulationSettings, mode: Mode) throws(SimulationError) {
    try settings.validate()
    switch mode {
    case .synchronous(let s):
      if s.rounds <= 0 { throw .invalidParameter(field: "schedule.rounds", value: "\(s.rounds)", expected: "a positive integer") }
      if s.clientsPerRound <= 0 || s.clientsPerRound > settings.clients {
        throw .invalidParameter(
          field: "schedule.clients_per_round", value: "\(s.clientsPerRound)", expected: "1...\(settings.clients) (the population)")
      }
      if !(s.overSelection >= 0) {
        throw .invalidParameter(field: "schedule.over_selection", value: "\(s.overSelection)", expected: "a fraction ≥ 0")
      }
      if let deadline = s.deadline, !(deadline > 0) {
        throw .invalidParameter(field: "schedule.deadline", value: "\(deadline)", expected: "a positive number of seconds")
      }
      if s.minimumReports < 0 || s.minimumReports > s.clientsPerRound {
        throw .invalidParameter(
          field: "schedule.minimum_reports", value: "\(s.minimumReports)", expected: "0...\(s.clientsPerRound) (clients per round)")
      }
    case .bufferedAsynchronous(let a):
      if a.serverUpdates <= 0 {
        throw .invalidParameter(field: "schedule.server_updates", value: "\(a.serverUpdates)", expected: "a positive integer")
      }
      if a.concurrency <= 0 || a.concurrency > settings.clients {
        throw .invalidParameter(
          field: "schedule.concurrency", value: "\(a.concurrency)", expected: "1...\(settings.clients) (the population)")
      }
      if a.bufferSize <= 0 {
        throw .invalidParameter(field: "schedule.buffer_size", value: "\(a.bufferSize)", expected: "a positive integer")
      }
    }
    self.task = task
    self.settings = settings
    self.mode = mode
    pool = WorkerPool(workers: settings.workers)
    batchWorkers = settings.workers
    trace = EventTrace(keepsRecords: settings.keepsTrace)
    current = RoundSummary(round: 0, startTime: 0)
  }

  /// Runs the simulation to the end.
  ///
  /// The event loop and its handlers are inlinable so that a module running a concrete task
  /// specialises them: generic, they spent about half of a small client's time looking up type
  /// metadata and copying values through witness tables.
  @inlinable
  public func run() throws(SimulationError) -> SimulationResult {
    if !resumed {
      switch mode {
      case .synchronous: startRound(0)
      case .bufferedAsynchronous: refill()
      }
    }
    while !finished, let entry = queue.pop() {
      now = entry.time
      guard now <= settings.maxSimulatedTime else {
        throw .stalled(time: now, reason: "the maximum simulated time \(settings.maxSimulatedTime) s was reached")
      }
      handle(entry.event)
      if distributedBatch != nil, let clusterFailure { throw clusterFailure }
      afterEvent?()
      if let shouldStop, shouldStop() { throw .stopped(time: now) }
    }
    guard finished else { throw .stalled(time: now, reason: "no event left before the schedule completed") }
    return SimulationResult(rounds: summaries, trace: trace, simulatedTime: now, clientsWithState: states.count)
  }

  // MARK: - Events

  @inlinable
  func handle(_ event: Event) {
    switch event {
    case .arrivedAtClient(let client, let key): startLocalWork(client, key)
    case .computeDone(let client, let key): finishLocalWork(client, key)
    case .crashed(let client, let key):
      trace.record(now, "dropout", client: client, round: key)
      busy.remove(client)
      dispatches[Key(client: client, key: key)] = nil
      current.dropouts += 1
      clientGone(key)
    case .wentOffline(let client, let key):
      trace.record(now, "offline", client: client, round: key)
      busy.remove(client)
      dispatches[Key(client: client, key: key)] = nil
      current.dropouts += 1
      clientGone(key)
    case .arrivedAtServer(let client, let key): receive(client, key)
    case .deadline(let round):
      trace.record(now, "deadline", round: round)
      if case .synchronous = mode, roundOpen, current.round == round { closeRound() }
    case .retry:
      retryScheduled = false
      trace.record(now, "retry")
      switch mode {
      case .synchronous: startRound(current.round + 1)
      case .bufferedAsynchronous: refill()
      }
    }
  }

  /// Sends the server's model to `client`; `key` is the round (synchronous) or the dispatch
  /// number (asynchronous).
  @inlinable
  func dispatch(_ client: ClientID, key: Int, startedFrom: Int, message: Task.Message, bytes: Int) {
    busy.insert(client)
    current.selected += 1
    current.bytesDown += bytes
    trace.record(now, "dispatch", client: client, round: key, bytes: bytes)
    let link = settings.network.downlink(client: client, seed: settings.seed)
    if NetworkModel.isLost(link, sender: -1, receiver: client, round: key, seed: settings.seed) {
      trace.record(now, "lost", client: -1, peer: client, round: key)
      busy.remove(client)
      current.lostMessages += 1
      clientGone(key)
      return
    }
    dispatches[Key(client: client, key: key)] = Dispatch(message: message, startedFrom: startedFrom)
    queue.schedule(.arrivedAtClient(client, key), at: now + link.transferTime(bytes: bytes))
  }

  @inlinable
  func startLocalWork(_ client: ClientID, _ key: Int) {
    trace.record(now, "arrive-client", client: client, round: key)
    let state = states[client] ?? task.makeClientState(for: client)
    states[client] = state
    let device = settings.devices.profile(client: client, seed: settings.seed)
    let duration = task.localWorkFLOPs(client: client, state: state) / device.flopsPerSecond
    if settings.devices.crashes(client: client, round: key, seed: settings.seed) {
      // The crash happens part-way through the work; the client's progress is lost.
      var stream = RandomStream(
        seed: settings.seed, purpose: StreamPurpose("crash-time"), client: UInt32(truncatingIfNeeded: client),
        round: UInt32(truncatingIfNeeded: key))
      queue.schedule(.crashed(client, key), at: now + duration * stream.nextDouble())
      return
    }
    guard let dispatch = dispatches[Key(client: client, key: key)] else { return }
    let offline = settings.devices.onlineUntil(client: client, time: now, seed: settings.seed)
    if offline < now + duration {
      // The device leaves before finishing (a trace of availability intervals).
      queue.schedule(.wentOffline(client, key), at: max(offline, now))
      return
    }
    pending.append(Job(client: client, key: key, message: dispatch.message, state: state, done: now + duration, order: jobCounter))
    pendingSorted = false
    jobCounter += 1
    queue.schedule(.computeDone(client, key), at: now + duration)
  }

  @inlinable
  func finishLocalWork(_ client: ClientID, _ key: Int) {
    let id = Key(client: client, key: key)
    while results[id] == nil && !pending.isEmpty { runPendingJobs() }
    guard let report = results.removeValue(forKey: id) else { return }
    busy.remove(client)
    if report.rejected {
      // The client refused its own result: it sends nothing and will not report.
      trace.record(now, "rejected", client: client, round: key)
      current.rejectedReports += 1
      current.rejectedWork.append(RejectedWork(client: client, round: key))
      dispatches[id] = nil
      clientGone(key)
      return
    }
    let bytes = task.serializedBytes(of: report.message)
    current.bytesUp += bytes
    trace.record(now, "upload", client: client, round: key, bytes: bytes)
    let link = settings.network.uplink(client: client, seed: settings.seed)
    if NetworkModel.isLost(link, sender: client, receiver: -1, round: key, seed: settings.seed) {
      trace.record(now, "lost", client: client, peer: -1, round: key)
      current.lostMessages += 1
      dispatches[id] = nil
      clientGone(key)
      return
    }
    uploads[id] = report
    queue.schedule(.arrivedAtServer(client, key), at: now + link.transferTime(bytes: bytes))
    if case .bufferedAsynchronous = mode { refill() }
  }

  /// Runs the queued jobs that finish first — a few per worker, so that finished-but-unsent
  /// replies stay bounded however many clients are in flight — on the pool; states go back to
  /// their owners, reports wait for their compute-done events. The job whose event fired is
  /// always among them (it has the earliest finishing time of the queue).
  @inlinable
  func runPendingJobs() {
    if !pendingSorted {
      pending.sort { ($0.done, $0.order) < ($1.done, $1.order) }
      pendingSorted = true
    }
    let batch = min(pending.count, Self.batchSize(workers: batchWorkers, reportBytes: reportBytes))
    let jobs = Array(pending.prefix(batch))
    pending.removeFirst(batch)
    let outputs: [Output]
    if let distributedBatch {
      do {
        outputs = try distributedBatch(jobs)
      } catch {
        clusterFailure = error
        return
      }
    } else {
      outputs = pool.map(jobs, Self.work(task))
    }
    // A rejected report, or one of a round without exchange, is empty: it says nothing of the size.
    if let largest = outputs.map({ task.serializedBytes(of: $0.1.message) }).max(), largest > 0 {
      reportBytes = max(reportBytes ?? 0, largest)
    }
    for (job, (state, report)) in zip(jobs, outputs) {
      states[job.client] = state
      results[Key(client: job.client, key: job.key)] = report
      task.finishedLocalWork(client: job.client, state: state, report: report, round: job.key)
    }
  }

  /// One job of local work, as every batch runs it (on this process's pool, or on the rank that
  /// owns the client).
  @inlinable
  static func work(_ task: Task) -> @Sendable (Job, _ worker: Int) -> Output {
    { job, worker in
      var state = job.state
      let report = task.localWork(client: job.client, state: &state, received: job.message, round: job.key, worker: worker)
      return (state, report)
    }
  }

  /// Jobs run per call of the worker pool: four per worker while the report size is unknown
  /// (adapters can be megabytes), then as many as fit 64 MB of reports, up to 64 per worker —
  /// small reports (convex tasks) would otherwise spend more time dispatching batches than
  /// working. The batch size never changes results: every job is a pure function of its inputs.
  @inlinable
  static func batchSize(workers: Int, reportBytes: Int?) -> Int {
    let smallest = max(4, 4 * workers)
    guard let reportBytes else { return smallest }
    return max(smallest, min(64 * workers, (64 << 20) / max(1, reportBytes)))
  }

  @inlinable
  func receive(_ client: ClientID, _ key: Int) {
    let id = Key(client: client, key: key)
    guard let report = uploads.removeValue(forKey: id), let dispatch = dispatches.removeValue(forKey: id) else { return }
    switch mode {
    case .synchronous:
      guard roundOpen, key == current.round else {
        trace.record(now, "late", client: client, round: key)
        current.discardedReports += 1
        return
      }
      trace.record(now, "report", client: client, round: key)
      accept(ArrivedReport(client: client, report: report, startedFrom: dispatch.startedFrom, staleness: 0, arrivalTime: now), round: key)
      outstanding -= 1
      if arrivals.count >= needed || outstanding == 0 { closeRound() }
    case .bufferedAsynchronous(let settings):
      let staleness = version - dispatch.startedFrom
      if let limit = settings.maxStaleness, staleness > limit {
        trace.record(now, "stale", client: client, round: key)
        current.discardedReports += 1
        refill()
        return
      }
      trace.record(now, "report", client: client, round: key)
      accept(
        ArrivedReport(client: client, report: report, startedFrom: dispatch.startedFrom, staleness: staleness, arrivalTime: now),
        round: version)
      if arrivals.count >= settings.bufferSize { publishVersion(settings) }
      refill()
    }
  }

  /// Folds a reply into the task (streaming) or holds it for `aggregate`.
  @inlinable
  func accept(_ arrived: ArrivedReport<Task.Message>, round: Int) {
    arrivals.append(Arrival(staleness: arrived.staleness, metrics: arrived.report.metrics, weight: arrived.report.weight))
    if task.streamsReports {
      task.accept(arrived, round: round)
    } else {
      reports.append(arrived)
    }
  }

  /// A dispatched client will not report (crash or lost message).
  @inlinable
  func clientGone(_ key: Int) {
    switch mode {
    case .synchronous:
      guard roundOpen, key == current.round else { return }
      outstanding -= 1
      if outstanding == 0 { closeRound() }
    case .bufferedAsynchronous: refill()
    }
  }
}

/// The schedule of a server-based simulation: synchronous rounds or buffered asynchronous
/// aggregation.
public enum ServerSchedule: Sendable, Equatable {
  case synchronous(SynchronousRounds)
  case bufferedAsynchronous(BufferedAsynchronous)
}

/// An event of a server-based simulation.
@usableFromInline
enum ServerEvent: Sendable {
  case arrivedAtClient(ClientID, Int)
  case computeDone(ClientID, Int)
  case crashed(ClientID, Int)
  case wentOffline(ClientID, Int)
  case arrivedAtServer(ClientID, Int)
  case deadline(Int)
  case retry
}

/// A client's dispatch: the client and the round (synchronous) or dispatch number (asynchronous).
@usableFromInline
struct DispatchKey: Hashable {
  @usableFromInline
  let client: ClientID
  @usableFromInline
  let key: Int

  @inlinable
  init(client: ClientID, key: Int) {
    self.client = client
    self.key = key
  }
}
