extension GossipSimulation {
  // MARK: - Asynchronous

  /// Every node loops: local step → mix with the latest neighbour messages → send → next step.
  /// Local steps due at the same instant run in parallel; mixing happens at the event, on the
  /// simulator thread, so it sees exactly the messages delivered before it.
  func runAsynchronous(iterations: Int) throws(SimulationError) {
    let n = settings.clients
    iteration = Array(repeating: 0, count: n)
    mailbox = Array(repeating: [:], count: n)
    asyncSummaries = (0..<iterations).map { RoundSummary(round: $0, startTime: 0) }
    stalenessCounts = Array(repeating: 0, count: iterations)
    for node in 0..<n { startIteration(node) }
    while nodesFinished < n, let entry = queue.pop() {
      try advance(to: entry.time)
      switch entry.event {
      case .computeDone(let node, let k): finishIteration(node, k, iterations: iterations)
      case .delivered(let from, let to, let k):
        trace.record(now, "deliver", client: from, peer: to, round: k)
        if let message = inFlight.removeValue(forKey: InFlightKey(from: from, to: to, iteration: k)) {
          if (mailbox[to][from]?.iteration ?? -1) < k { mailbox[to][from] = (message, k) }
        }
      case .retry(let node): startIteration(node)
      case .roundDeadline, .setupDelivered: break
      }
      if let clusterFailure { throw clusterFailure }
    }
    try settleMixes()
    for (k, var summary) in asyncSummaries.enumerated() where summary.selected > 0 {
      summary.round = k
      summary.clientMetrics = meanMetrics(asyncMetrics[k] ?? [])
      summary.meanStaleness = stalenessCounts[k] > 0 ? summary.meanStaleness / Double(stalenessCounts[k]) : 0
      summary.aggregated = true
      summaries.append(summary)
      onRound?(summary)
    }
    task.observe(round: iterations - 1, time: now, states: states)
  }

  func startIteration(_ node: ClientID) {
    let k = iteration[node]
    guard settings.devices.isAvailable(client: node, round: k, time: now, seed: settings.seed) else {
      trace.record(now, "offline", client: node, round: k)
      queue.schedule(.retry(node), at: now + 1)
      return
    }
    if asyncSummaries[k].selected == 0 { asyncSummaries[k].startTime = now }
    asyncSummaries[k].selected += 1
    pendingWork.append(node)
    queue.schedule(.computeDone(node, k), at: now + duration(node))
  }

  func runPendingWork() {
    do {
      try settleMixes()
      let inputs = pendingWork.map { (node: $0, state: states[$0], round: iteration[$0]) }
      pendingWork.removeAll(keepingCapacity: true)
      let outputs = try runLocalWork(inputs)
      for (input, (state, report)) in zip(inputs, outputs) {
        states[input.node] = state
        results[input.node] = report
        task.finishedLocalWork(node: input.node, state: state, report: report, round: input.round)
      }
    } catch {
      clusterFailure = error
    }
  }

  /// The mixes since the last batch, in the order they happened: their notes reach every rank
  /// (distributed runs), then `finishedMixing` (a non-finite mix under `stop` ends the run there,
  /// at the same point on every rank). A node mixes again only after its next local work, which
  /// a batch runs after this: each unsettled mix is its node's latest.
  func settleMixes() throws(SimulationError) {
    guard !unsettledMixes.isEmpty else { return }
    let mixes = unsettledMixes
    unsettledMixes.removeAll(keepingCapacity: true)
    try distributedSettle?(mixes)
    for mix in mixes { task.finishedMixing(node: mix.node, state: states[mix.node], round: mix.iteration) }
  }

  func finishIteration(_ node: ClientID, _ k: Int, iterations: Int) {
    if results[node] == nil { runPendingWork() }
    guard let report = results.removeValue(forKey: node) else { return }
    trace.record(now, "compute-done", client: node, round: k)
    // Mix with the latest message of each neighbour (missing ones give their weight to self).
    var neighbours: [WeightedMessage<Task.Message>] = []
    var selfWeight = 1.0
    var summary = asyncSummaries[k]
    let exchanging = task.exchanges(round: k)
    for entry in weights.row(node) where entry.node != node && exchanging {
      guard let latest = mailbox[node][entry.node] else { continue }
      neighbours.append(WeightedMessage(peer: entry.node, message: latest.message, weight: entry.weight, staleness: k - latest.iteration))
      selfWeight -= entry.weight
      summary.maxStaleness = max(summary.maxStaleness, k - latest.iteration)
      summary.meanStaleness += Double(k - latest.iteration)
      stalenessCounts[k] += 1
    }
    task.combine(node: node, state: &states[node], own: report.message, selfWeight: selfWeight, neighbours: neighbours, round: k, worker: 0)
    unsettledMixes.append((node, k))
    trace.record(now, "mix", client: node, round: k)
    summary.aggregatedReports += 1
    summary.endTime = max(summary.endTime, now)
    if report.rejected {
      trace.record(now, "rejected", client: node, round: k)
      summary.rejectedReports += 1
      summary.rejectedWork.append(RejectedWork(client: node, round: k))
    }
    // Send the new message to every neighbour (nothing when the node refused its result).
    let bytes = task.serializedBytes(of: report.message)
    for entry in weights.row(node) where entry.node != node && exchanging && !report.rejected {
      let peerLink = link(node, entry.node)
      summary.bytesUp += bytes
      trace.record(now, "send", client: node, peer: entry.node, round: k, bytes: bytes)
      if NetworkModel.isLost(peerLink, sender: node, receiver: entry.node, round: k, seed: settings.seed) {
        trace.record(now, "lost", client: node, peer: entry.node, round: k)
        summary.lostMessages += 1
      } else {
        inFlight[InFlightKey(from: node, to: entry.node, iteration: k)] = report.message
        queue.schedule(.delivered(from: node, to: entry.node, k), at: now + peerLink.transferTime(bytes: bytes))
      }
    }
    asyncSummaries[k] = summary
    asyncMetrics[k, default: []].append((report.metrics, report.weight))
    iteration[node] = k + 1
    if k + 1 < iterations { startIteration(node) } else { nodesFinished += 1 }
  }
}

struct InFlightKey: Hashable {
  let from: ClientID
  let to: ClientID
  let iteration: Int
}
