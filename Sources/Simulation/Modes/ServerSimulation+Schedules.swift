import Randomness

extension ServerSimulation {
  // MARK: - Synchronous rounds

  @inlinable
  func startRound(_ round: Int) {
    guard case .synchronous(let schedule) = mode else { return }
    current = RoundSummary(round: round, startTime: now)
    let wanted = Int((Double(schedule.clientsPerRound) * (1 + schedule.overSelection)).rounded(.up))
    var stream = RandomStream(seed: settings.seed, purpose: .clientSampling, round: UInt32(truncatingIfNeeded: round))
    let cohort: [ClientID]
    if settings.clients > Self.scanLimit, let drawn = drawEligible(wanted, round: round, stream: &stream) {
      cohort = drawn
    } else {
      let candidates = eligibleClients(round: round)
      cohort = sample(min(candidates.count, wanted), from: candidates, stream: &stream)
    }
    let count = cohort.count
    guard count > 0 else {
      trace.record(now, "round-failed", round: round)
      finishRound(aggregated: false)
      if !finished { scheduleRetry(after: schedule.idleWait) }
      return
    }
    roundOpen = true
    needed = min(schedule.clientsPerRound, count)
    outstanding = count
    reports.removeAll(keepingCapacity: true)
    arrivals.removeAll(keepingCapacity: true)
    trace.record(now, "round-start", round: round)
    for client in cohort {
      let message = task.serverMessage(for: client, round: round)
      dispatch(client, key: round, startedFrom: round, message: message, bytes: task.serializedBytes(of: message))
    }
    if roundOpen, let deadline = schedule.deadline { queue.schedule(.deadline(round), at: now + deadline) }
  }

  @inlinable
  func closeRound() {
    guard case .synchronous(let schedule) = mode, roundOpen else { return }
    roundOpen = false
    let aggregate = arrivals.count >= max(schedule.minimumReports, 1)
    if aggregate {
      trace.record(now, "aggregate", round: current.round)
      task.aggregate(reports: reports, round: current.round, time: now)
    } else {
      trace.record(now, "round-failed", round: current.round)
    }
    summarize(aggregated: aggregate)
    finishRound(aggregated: aggregate)
    if !finished { startRound(current.round + 1) }
  }

  @inlinable
  func finishRound(aggregated: Bool) {
    current.endTime = now
    current.aggregated = aggregated
    summaries.append(current)
    onRound?(current)
    if case .synchronous(let schedule) = mode, current.round + 1 >= schedule.rounds { finished = true }
  }

  @inlinable
  func scheduleRetry(after wait: Double) {
    guard !retryScheduled else { return }
    retryScheduled = true
    queue.schedule(.retry, at: now + wait)
  }

  // MARK: - Buffered asynchronous

  /// Keeps `concurrency` clients busy.
  @inlinable
  func refill() {
    guard case .bufferedAsynchronous(let schedule) = mode, !finished else { return }
    while busy.count < schedule.concurrency {
      guard let client = pickIdleClient(dispatch: dispatchCount) else {
        scheduleRetry(after: schedule.idleWait)
        return
      }
      let message = task.serverMessage(for: client, round: version)
      dispatch(client, key: dispatchCount, startedFrom: version, message: message, bytes: task.serializedBytes(of: message))
      dispatchCount += 1
    }
  }

  @inlinable
  func publishVersion(_ schedule: BufferedAsynchronous) {
    trace.record(now, "aggregate", round: version)
    task.aggregate(reports: reports, round: version, time: now)
    summarize(aggregated: true)
    current.endTime = now
    current.aggregated = true
    summaries.append(current)
    onRound?(current)
    reports.removeAll(keepingCapacity: true)
    arrivals.removeAll(keepingCapacity: true)
    version += 1
    current = RoundSummary(round: version, startTime: now)
    if version >= schedule.serverUpdates { finished = true }
  }

  /// A uniformly random idle, available client: rejection sampling first (cheap for large
  /// populations), then an exact draw among the eligible ones.
  @inlinable
  func pickIdleClient(dispatch: Int) -> ClientID? {
    var stream = RandomStream(seed: settings.seed, purpose: .clientSampling, client: UInt32(truncatingIfNeeded: dispatch), step: 1)
    for _ in 0..<32 {
      let client = stream.nextInt(below: settings.clients)
      if isEligible(client, round: dispatch) { return client }
    }
    let candidates = eligibleClients(round: dispatch)
    return candidates.isEmpty ? nil : candidates[stream.nextInt(below: candidates.count)]
  }

  // MARK: - Shared

  @inlinable
  func isEligible(_ client: ClientID, round: Int) -> Bool {
    guard !busy.contains(client), settings.devices.isAvailable(client: client, round: round, time: now, seed: settings.seed) else {
      return false
    }
    if let memory = settings.devices.profile(client: client, seed: settings.seed).memoryBytes {
      return memory >= task.requiredMemoryBytes(client: client)
    }
    return true
  }

  @inlinable
  func eligibleClients(round: Int) -> [ClientID] {
    (0..<settings.clients).filter { isEligible($0, round: round) }
  }

  /// Populations above this are sampled by drawing ids (`drawEligible`) instead of listing every
  /// eligible client each round.
  @inlinable
  static var scanLimit: Int { 65_536 }

  /// `count` distinct eligible clients drawn uniformly by rejection (ascending ids), in time
  /// proportional to `count`; nil when too few draws are eligible (the caller then lists them all).
  @usableFromInline
  func drawEligible(_ count: Int, round: Int, stream: inout RandomStream) -> [ClientID]? {
    var chosen = Set<ClientID>()
    var draws = 0
    while chosen.count < count && draws < 64 * count + 64 {
      let client = stream.nextInt(below: settings.clients)
      draws += 1
      if !chosen.contains(client) && isEligible(client, round: round) { chosen.insert(client) }
    }
    return chosen.count == count ? chosen.sorted() : nil
  }

  /// `count` distinct elements, by a partial Fisher–Yates shuffle, returned in ascending order.
  @usableFromInline
  func sample(_ count: Int, from candidates: [ClientID], stream: inout RandomStream) -> [ClientID] {
    var shuffled = candidates
    for i in 0..<count {
      let j = i + stream.nextInt(below: shuffled.count - i)
      shuffled.swapAt(i, j)
    }
    return shuffled[0..<count].sorted()
  }

  /// Fills the staleness and metric fields of the current summary from aggregated reports.
  @usableFromInline
  func summarize(aggregated: Bool) {
    current.aggregatedReports = aggregated ? arrivals.count : 0
    guard !arrivals.isEmpty else { return }
    current.meanStaleness = Double(arrivals.reduce(0) { $0 + $1.staleness }) / Double(arrivals.count)
    current.maxStaleness = arrivals.map(\.staleness).max() ?? 0
    var sums: [String: Double] = [:]
    var weights: [String: Double] = [:]
    for arrival in arrivals {
      for (name, value) in arrival.metrics {
        sums[name, default: 0] += arrival.weight * value
        weights[name, default: 0] += arrival.weight
      }
    }
    current.clientMetrics = sums.reduce(into: [:]) { result, item in
      let weight = weights[item.key] ?? 0
      result[item.key] = weight > 0 ? item.value / weight : .nan
    }
  }
}

/// What a round summary keeps of an accepted reply.
@usableFromInline
struct Arrival {
  @usableFromInline
  let staleness: Int
  @usableFromInline
  let metrics: [String: Double]
  @usableFromInline
  let weight: Double

  @inlinable
  init(staleness: Int, metrics: [String: Double], weight: Double) {
    self.staleness = staleness
    self.metrics = metrics
    self.weight = weight
  }
}
