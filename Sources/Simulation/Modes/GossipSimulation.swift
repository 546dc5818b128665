import Graphs
import Randomness

/// Decentralized learning over a communication graph on the discrete-event kernel.
public final class GossipSimulation<Task: DecentralizedTask> {
  // Top level (it does not depend on the task): the event queue stays specialised.
  typealias Event = GossipEvent

  public let task: Task
  public let settings: SimulationSettings
  /// The mixing weights in force (replaced every round when the topology varies).
  public private(set) var weights: MixingWeights
  public let schedule: GossipSchedule
  let roundGraph: (@Sendable (Int) throws(GraphError) -> Graph)?
  let mixing: MixingRule
  public var onRound: ((RoundSummary) -> Void)?
  /// Asked after every event: returning true ends the run with `SimulationError.stopped`.
  public var shouldStop: (() -> Bool)?
  /// Called at the end of every synchronous round, before `shouldStop` (a checkpoint can be
  /// taken then: nothing is in flight between rounds).
  public var afterRound: (() -> Void)?

  let pool: WorkerPool
  var queue = EventQueue<Event>()
  var trace: EventTrace
  var states: [Task.NodeState]
  var now: SimulatedTime = 0
  var summaries: [RoundSummary] = []

  // Synchronous rounds.
  var messages: [ClientID: LocalReport<Task.Message>] = [:]
  var received: [[WeightedMessage<Task.Message>]] = []
  var expected: [Int] = []
  var doneComputing: [Bool] = []
  var mixed: [Bool] = []
  var active: [Bool] = []
  var roundOpen = false
  var exchangeThisRound = true
  var current = RoundSummary(round: 0, startTime: 0)
  /// The first round to run (after a restore).
  var firstRound = 0
  /// What the setup phase did (restored with the rest of the state).
  var setupSummary: SetupSummary?
  var resumed = false

  // Asynchronous.
  var iteration: [Int] = []
  var mailbox: [[ClientID: (message: Task.Message, iteration: Int)]] = []
  var pendingWork: [ClientID] = []
  var results: [ClientID: LocalReport<Task.Message>] = [:]
  var asyncSummaries: [RoundSummary] = []
  var inFlight: [InFlightKey: Task.Message] = [:]
  var stalenessCounts: [Int] = []
  /// Metrics and weights of each asynchronous iteration's reports (not the messages: memory
  /// stays independent of the number of iterations).
  var asyncMetrics: [Int: [(metrics: [String: Double], weight: Double)]] = [:]
  var nodesFinished = 0

  // Distributed runs (`distribute(over:)`): a batch runs on the ranks owning its nodes.
  typealias WorkInput = (node: ClientID, state: Task.NodeState, round: Int)
  typealias WorkOutput = (state: Task.NodeState, report: LocalReport<Task.Message>)
  typealias MixInput = (
    node: ClientID, state: Task.NodeState, own: Task.Message, selfWeight: Double, neighbours: [WeightedMessage<Task.Message>]
  )
  var distributedWork: (([WorkInput]) throws(SimulationError) -> [WorkOutput])?
  var distributedMix: (([MixInput], _ round: Int) throws(SimulationError) -> [Task.NodeState])?
  /// Asynchronous mixes not settled yet: their notes (`finishedMixing`, and in a distributed run
  /// what the owner recorded) are settled before each batch of local work and at the end.
  var unsettledMixes: [(node: ClientID, iteration: Int)] = []
  var distributedSettle: (([(node: ClientID, iteration: Int)]) throws(SimulationError) -> Void)?
  /// A failed exchange inside an event handler: the run stops with it.
  var clusterFailure: SimulationError?

  /// Gossip over a graph that changes every round (resampled random graphs, the one-peer
  /// exponential graph); synchronous schedules only.
  public convenience init(
    task: Task, settings: SimulationSettings, graphForRound: @escaping @Sendable (Int) throws(GraphError) -> Graph,
    mixing: MixingRule = .metropolisHastings, schedule: GossipSchedule
  ) throws(SimulationError) {
    guard case .synchronous = schedule else {
      throw .invalidParameter(field: "topology", value: "time-varying", expected: "a fixed graph for asynchronous gossip")
    }
    let first: Graph
    do { first = try graphForRound(0) } catch { throw .invalidParameter(field: "topology", value: "round 0", expected: error.description) }
    try self.init(task: task, settings: settings, graph: first, mixing: mixing, schedule: schedule, roundGraph: graphForRound)
  }

  public convenience init(
    task: Task, settings: SimulationSettings, graph: Graph, mixing: MixingRule = .metropolisHastings,
    schedule: GossipSchedule
  ) throws(SimulationError) {
    try self.init(task: task, settings: settings, graph: graph, mixing: mixing, schedule: schedule, roundGraph: nil)
  }

  init(
    task: Task, settings: SimulationSettings, graph: Graph, mixing: MixingRule, schedule: GossipSchedule,
    roundGraph: (@Sendable (Int) throws(GraphError) -> Graph)?
  ) throws(SimulationError) {
    try settings.validate()
    guard graph.nodeCount == settings.clients else {
      throw .invalidParameter(field: "topology", value: "\(graph.nodeCount) nodes", expected: "one node per client (\(settings.clients))")
    }
    switch schedule {
    case .synchronous(let rounds, let deadline):
      if rounds <= 0 { throw .invalidParameter(field: "schedule.rounds", value: "\(rounds)", expected: "a positive integer") }
      if let deadline, !(deadline > 0) {
        throw .invalidParameter(field: "schedule.deadline", value: "\(deadline)", expected: "a positive number of seconds")
      }
    case .asynchronous(let iterations):
      if iterations <= 0 { throw .invalidParameter(field: "schedule.iterations", value: "\(iterations)", expected: "a positive integer") }
    }
    self.task = task
    self.settings = settings
    self.schedule = schedule
    weights = MixingWeights(graph: graph, rule: mixing)
    self.mixing = mixing
    self.roundGraph = roundGraph
    pool = WorkerPool(workers: settings.workers)
    trace = EventTrace(keepsRecords: settings.keepsTrace)
    states = (0..<settings.clients).map { task.makeNodeState(for: $0) }
  }

  public func run() throws(SimulationError) -> SimulationResult {
    if resumed {
      agreeAgainWithoutMessages()
    } else {
      setupSummary = try runSetup()
    }
    let setup = setupSummary
    switch schedule {
    case .synchronous(let rounds, let deadline): try runSynchronous(rounds: rounds, deadline: deadline)
    case .asynchronous(let iterations): try runAsynchronous(iterations: iterations)
    }
    var result = SimulationResult(rounds: summaries, trace: trace, simulatedTime: now, clientsWithState: states.count)
    result.setup = setup
    return result
  }

  // MARK: - Setup

  /// Every node sends its setup message to each neighbour of the (first) graph; a lost message is
  /// sent again after twice its transfer time. Rounds start when the last one has arrived.
  func runSetup() throws(SimulationError) -> SetupSummary? {
    let payloads = (0..<settings.clients).map { task.setupMessage(node: $0) }
    guard payloads.contains(where: { $0 != nil }) else { return nil }
    var summary = SetupSummary()
    func send(_ from: ClientID, _ to: ClientID, attempt: Int) {
      guard let payload = payloads[from] else { return }
      let peerLink = link(from, to)
      summary.bytes += payload.count
      trace.record(now, "setup-send", client: from, peer: to, bytes: payload.count)
      let transfer = peerLink.transferTime(bytes: payload.count)
      // Attempts are keyed apart from training rounds by negative round numbers.
      if NetworkModel.isLost(peerLink, sender: from, receiver: to, round: -1 - attempt, seed: settings.seed) {
        trace.record(now, "setup-lost", client: from, peer: to)
        summary.retransmissions += 1
        queue.schedule(.setupDelivered(from: from, to: to, attempt: attempt + 1), at: now + 2 * transfer)
      } else {
        queue.schedule(.setupDelivered(from: from, to: to, attempt: -1), at: now + transfer)
      }
    }
    for node in 0..<settings.clients {
      for entry in weights.row(node) where entry.node != node { send(node, entry.node, attempt: 0) }
    }
    while let entry = queue.pop() {
      try advance(to: entry.time)
      guard case .setupDelivered(let from, let to, let attempt) = entry.event else { continue }
      if attempt >= 0 {
        guard attempt < 1000 else {
          throw .stalled(time: now, reason: "setup message \(from) → \(to) lost 1000 times")
        }
        send(from, to, attempt: attempt)
        continue
      }
      trace.record(now, "setup-deliver", client: from, peer: to)
      if let payload = payloads[from] { task.receiveSetup(node: to, from: from, message: payload) }
      summary.messages += 1
    }
    summary.endTime = now
    return summary
  }

  func duration(_ node: ClientID) -> SimulatedTime {
    task.localWorkFLOPs(node: node, state: states[node]) / settings.devices.profile(client: node, seed: settings.seed).flopsPerSecond
  }

  func link(_ a: ClientID, _ b: ClientID) -> LinkProfile { settings.network.peerLink(a, b, seed: settings.seed) }

  func advance(to time: SimulatedTime) throws(SimulationError) {
    if let shouldStop, shouldStop() { throw .stopped(time: now) }
    now = time
    guard now <= settings.maxSimulatedTime else {
      throw .stalled(time: now, reason: "the maximum simulated time \(settings.maxSimulatedTime) s was reached")
    }
  }

  // MARK: - Synchronous

  func runSynchronous(rounds: Int, deadline: Double?) throws(SimulationError) {
    let n = settings.clients
    for round in firstRound..<rounds {
      current = RoundSummary(round: round, startTime: now)
      trace.record(now, "round-start", round: round)
      if let roundGraph, round > 0 {
        let graph: Graph
        do { graph = try roundGraph(round) } catch {
          throw .invalidParameter(field: "topology", value: "round \(round)", expected: error.description)
        }
        guard graph.nodeCount == n else {
          throw .invalidParameter(
            field: "topology", value: "\(graph.nodeCount) nodes in round \(round)", expected: "one node per client (\(n))")
        }
        weights = MixingWeights(graph: graph, rule: mixing)
      }
      active = (0..<n).map { node in
        guard settings.devices.isAvailable(client: node, round: round, time: now, seed: settings.seed) else { return false }
        if settings.devices.crashes(client: node, round: round, seed: settings.seed) {
          trace.record(now, "dropout", client: node, round: round)
          current.dropouts += 1
          return false
        }
        return true
      }
      let nodes = (0..<n).filter { active[$0] }
      current.selected = nodes.count
      // Local work of every active node, in parallel (it does not depend on timing).
      let outputs = try runLocalWork(nodes.map { (node: $0, state: states[$0], round: round) })
      messages.removeAll(keepingCapacity: true)
      current.clientMetrics = meanMetrics(outputs.map { ($0.1.metrics, $0.1.weight) })
      for (node, (state, report)) in zip(nodes, outputs) {
        states[node] = state
        messages[node] = report
        task.finishedLocalWork(node: node, state: state, report: report, round: round)
        queue.schedule(.computeDone(node, round), at: now + duration(node))
      }
      received = Array(repeating: [], count: n)
      let exchanging = task.exchanges(round: round)
      expected = (0..<n).map { node in
        exchanging ? weights.row(node).filter { $0.node != node && active[$0.node] }.count : 0
      }
      exchangeThisRound = exchanging
      doneComputing = Array(repeating: false, count: n)
      mixed = (0..<n).map { !active[$0] }
      roundOpen = true
      if let deadline { queue.schedule(.roundDeadline(round), at: now + deadline) }
      while roundOpen, let entry = queue.pop() {
        try advance(to: entry.time)
        handleSynchronous(entry.event, round: round)
      }
      // Drop what is still in flight (late messages of a closed round).
      while let entry = queue.pop() {
        if case .delivered(let from, let to, _) = entry.event {
          trace.record(now, "late", client: from, peer: to, round: round)
          current.discardedReports += 1
        }
      }
      try mixAll(round: round)
      current.endTime = now
      current.aggregated = exchangeThisRound
      summaries.append(current)
      onRound?(current)
      task.observe(round: round, time: now, states: states)
      firstRound = round + 1
      afterRound?()
      if round + 1 < rounds, let shouldStop, shouldStop() { throw .stopped(time: now) }
    }
  }

  func handleSynchronous(_ event: Event, round: Int) {
    switch event {
    case .computeDone(let node, _):
      trace.record(now, "compute-done", client: node, round: round)
      doneComputing[node] = true
      if let report = messages[node], report.rejected {
        // The node refused its own result: it sends nothing, so its neighbours stop waiting.
        trace.record(now, "rejected", client: node, round: round)
        current.rejectedReports += 1
        current.rejectedWork.append(RejectedWork(client: node, round: round))
        for entry in weights.row(node) where exchangeThisRound && entry.node != node && active[entry.node] {
          expected[entry.node] -= 1
          checkMixed(entry.node, round: round)
        }
        checkMixed(node, round: round)
        return
      }
      guard exchangeThisRound, let report = messages[node] else {
        checkMixed(node, round: round)
        return
      }
      let bytes = task.serializedBytes(of: report.message)
      for entry in weights.row(node) where entry.node != node && active[entry.node] {
        let peerLink = link(node, entry.node)
        current.bytesUp += bytes
        trace.record(now, "send", client: node, peer: entry.node, round: round, bytes: bytes)
        if NetworkModel.isLost(peerLink, sender: node, receiver: entry.node, round: round, seed: settings.seed) {
          trace.record(now, "lost", client: node, peer: entry.node, round: round)
          current.lostMessages += 1
          expected[entry.node] -= 1
          checkMixed(entry.node, round: round)
        } else {
          queue.schedule(.delivered(from: node, to: entry.node, round), at: now + peerLink.transferTime(bytes: bytes))
        }
      }
      checkMixed(node, round: round)
    case .delivered(let from, let to, _):
      trace.record(now, "deliver", client: from, peer: to, round: round)
      if let report = messages[from] {
        received[to].append(WeightedMessage(peer: from, message: report.message, weight: weights.weight(to, from), staleness: 0))
      }
      checkMixed(to, round: round)
    case .roundDeadline:
      trace.record(now, "deadline", round: round)
      roundOpen = false
    case .retry, .setupDelivered: break
    }
  }

  func checkMixed(_ node: ClientID, round: Int) {
    guard !mixed[node], doneComputing[node], received[node].count >= expected[node] else { return }
    mixed[node] = true
    current.aggregatedReports += 1
    trace.record(now, "mix", client: node, round: round)
    if mixed.allSatisfy({ $0 }) { roundOpen = false }
  }

  /// Local work of `inputs`, in parallel on the pool (or on the ranks owning the nodes).
  func runLocalWork(_ inputs: [WorkInput]) throws(SimulationError) -> [WorkOutput] {
    if let distributedWork { return try distributedWork(inputs) }
    return pool.map(inputs, Self.work(task))
  }

  /// One node's local work, as every batch runs it (here or on the node's rank).
  static func work(_ task: Task) -> @Sendable (WorkInput, _ worker: Int) -> WorkOutput {
    { input, worker in
      var state = input.state
      let report = task.localWork(node: input.node, state: &state, round: input.round, worker: worker)
      return (state, report)
    }
  }

  /// One node's mixing in `round` (here or on the node's rank).
  static func mix(_ task: Task, round: Int) -> @Sendable (MixInput, _ worker: Int) -> Task.NodeState {
    { input, worker in
      var state = input.state
      task.combine(
        node: input.node, state: &state, own: input.own, selfWeight: input.selfWeight, neighbours: input.neighbours, round: round,
        worker: worker)
      return state
    }
  }

  /// Every active node mixes what it received (in parallel; each touches only its own state).
  func mixAll(round: Int) throws(SimulationError) {
    let nodes = (0..<settings.clients).filter { active[$0] }
    let inputs = nodes.compactMap { node -> MixInput? in
      guard let own = messages[node]?.message else { return nil }
      let neighbours = received[node].sorted { $0.peer < $1.peer }
      let selfWeight = 1 - neighbours.reduce(0) { $0 + $1.weight }
      return (node, states[node], own, selfWeight, neighbours)
    }
    let mixedStates: [Task.NodeState]
    if let distributedMix {
      mixedStates = try distributedMix(inputs, round)
    } else {
      mixedStates = pool.map(inputs, Self.mix(task, round: round))
    }
    for (input, state) in zip(inputs, mixedStates) {
      states[input.node] = state
      task.finishedMixing(node: input.node, state: state, round: round)
    }
  }

  /// Weighted means of the reports' metrics.
  func meanMetrics(_ reports: [(metrics: [String: Double], weight: Double)]) -> [String: Double] {
    var sums: [String: Double] = [:], weights: [String: Double] = [:]
    for report in reports {
      for (name, value) in report.metrics where value.isFinite {
        sums[name, default: 0] += report.weight * value
        weights[name, default: 0] += report.weight
      }
    }
    return sums.reduce(into: [:]) { result, item in
      if let weight = weights[item.key], weight > 0 { result[item.key] = item.value / weight }
    }
  }
}

/// An event of a gossip simulation.
enum GossipEvent: Sendable {
  case computeDone(ClientID, Int)
  case delivered(from: ClientID, to: ClientID, Int)
  case roundDeadline(Int)
  case retry(ClientID)
  case setupDelivered(from: ClientID, to: ClientID, attempt: Int)
}
