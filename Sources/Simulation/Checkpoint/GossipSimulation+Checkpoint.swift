import StateArchive

extension GossipSimulation where Task: ResumableTask, Task.PersistentState == Task.NodeState {
  /// The state between two synchronous rounds: the task's, the clock, the trace, the rounds done
  /// and the setup phase's summary. Nothing is in flight then, so the event queue is empty.
  public func archive() throws(SimulationError) -> [UInt8] {
    guard case .synchronous = schedule else {
      throw .invalidParameter(field: "output.checkpoint_every", value: "async-gossip", expected: "a round-based schedule")
    }
    guard queue.isEmpty else { throw .invalidParameter(field: "checkpoint", value: "mid-round", expected: "a round boundary") }
    var writer = ArchiveWriter()
    writer.section("gossip-simulation")
    task.archive(to: &writer)
    writer.section("gossip-kernel")
    writer.write(now)
    writer.write(firstRound)
    writer.write(summaries)
    writer.write(trace)
    writer.write(setupSummary != nil)
    if let setupSummary { writer.write(setupSummary) }
    writer.section("gossip-end")
    return writer.bytes
  }

  /// Replaces the state of a simulation that has not run with an archived one; `run()` then
  /// continues with the next round. Setup secrets are never archived: nodes agree on them again
  /// (without messages: the trace and the byte counts already hold the setup phase).
  public func restore(from bytes: [UInt8]) throws(ArchiveError) {
    var reader = ArchiveReader(bytes)
    try reader.section("gossip-simulation")
    try task.restore(from: &reader)
    try reader.section("gossip-kernel")
    now = try reader.readDouble()
    firstRound = try reader.readInt()
    if case .synchronous(let rounds, _) = schedule, firstRound < 0 || firstRound > rounds {
      throw .mismatch(what: "the next round", found: "\(firstRound)", expected: "0...\(rounds)")
    }
    summaries = try reader.readArray()
    trace = try reader.read()
    setupSummary = try reader.readBool() ? try reader.read() : nil
    try reader.section("gossip-end")
    guard reader.isAtEnd else { throw .invalid(what: "trailing bytes after the state", value: "\(reader.offset)", offset: reader.offset) }
    states = (0..<settings.clients).map { task.restoredState(of: $0) }
    resumed = true
  }
}

extension GossipSimulation {
  /// Every node receives its neighbours' setup messages directly (a resumed run re-derives the
  /// secrets it never wrote down).
  func agreeAgainWithoutMessages() {
    let payloads = (0..<settings.clients).map { task.setupMessage(node: $0) }
    for node in 0..<settings.clients {
      guard let payload = payloads[node] else { continue }
      for entry in weights.row(node) where entry.node != node { task.receiveSetup(node: entry.node, from: node, message: payload) }
    }
  }
}
