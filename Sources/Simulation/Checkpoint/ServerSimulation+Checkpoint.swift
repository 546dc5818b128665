import StateArchive

extension ServerSimulation where Task: ResumableTask, Task.PersistentState == Task.ClientState {
  /// The whole state between two events: the task's, then the simulator's (clock, event queue,
  /// trace, messages in flight, queued local work, round bookkeeping).
  public func archive() -> [UInt8] {
    var writer = ArchiveWriter()
    writer.section("server-simulation")
    task.archive(to: &writer)
    writer.section("server-kernel")
    writer.write(now)
    writer.write(finished)
    writer.write(current)
    writer.write(summaries)
    writer.write(trace)
    queue.archive(to: &writer) { event, writer in Self.archive(event, to: &writer) }
    writer.write(states.keys.sorted())
    writer.write(busy.sorted())
    let dispatched = dispatches.keys.sorted { ($0.client, $0.key) < ($1.client, $1.key) }
    writer.write(dispatched.count)
    for key in dispatched {
      writer.write(key.client)
      writer.write(key.key)
      task.archive(message: dispatches[key]!.message, to: &writer)
      writer.write(dispatches[key]!.startedFrom)
    }
    writer.write(pending.count)
    for job in pending {
      writer.write(job.client)
      writer.write(job.key)
      task.archive(message: job.message, to: &writer)
      writer.write(job.done)
      writer.write(job.order)
    }
    writer.write(pendingSorted)
    writer.write(jobCounter)
    for table in [results, uploads] {
      let keys = table.keys.sorted { ($0.client, $0.key) < ($1.client, $1.key) }
      writer.write(keys.count)
      for key in keys {
        writer.write(key.client)
        writer.write(key.key)
        table[key]!.archive(to: &writer, task: task)
      }
    }
    writer.write(roundOpen)
    writer.write(needed)
    writer.write(outstanding)
    writer.write(reports.count)
    for arrived in reports {
      writer.write(arrived.client)
      arrived.report.archive(to: &writer, task: task)
      writer.write(arrived.startedFrom)
      writer.write(arrived.staleness)
      writer.write(arrived.arrivalTime)
    }
    writer.write(arrivals.count)
    for arrival in arrivals {
      writer.write(arrival.staleness)
      writer.write(arrival.metrics)
      writer.write(arrival.weight)
    }
    writer.write(version)
    writer.write(dispatchCount)
    writer.write(retryScheduled)
    writer.section("server-end")
    return writer.bytes
  }

  /// Replaces the state of a simulation that has not run with an archived one; `run()` then
  /// continues from it.
  public func restore(from bytes: [UInt8]) throws(ArchiveError) {
    var reader = ArchiveReader(bytes)
    try reader.section("server-simulation")
    try task.restore(from: &reader)
    try reader.section("server-kernel")
    now = try reader.readDouble()
    finished = try reader.readBool()
    current = try reader.read()
    summaries = try reader.readArray()
    trace = try reader.read()
    queue = try EventQueue(from: &reader) { reader throws(ArchiveError) in try Self.readEvent(from: &reader) }
    states = [:]
    for client in try reader.readInts() { states[try checked(client)] = task.restoredState(of: client) }
    busy = Set(try reader.readInts())
    dispatches = [:]
    for _ in 0..<(try reader.readCount(elementSize: 24, "dispatches")) {
      let key = Key(client: try checked(try reader.readInt()), key: try reader.readInt())
      dispatches[key] = Dispatch(message: try task.readMessage(from: &reader), startedFrom: try reader.readInt())
    }
    pending = []
    for _ in 0..<(try reader.readCount(elementSize: 40, "queued local work")) {
      let client = try checked(try reader.readInt())
      let key = try reader.readInt()
      let message = try task.readMessage(from: &reader)
      let state = states[client] ?? task.restoredState(of: client)
      pending.append(
        Job(client: client, key: key, message: message, state: state, done: try reader.readDouble(), order: try reader.readInt()))
    }
    pendingSorted = try reader.readBool()
    jobCounter = try reader.readInt()
    var tables: [[Key: LocalReport<Task.Message>]] = []
    for _ in 0..<2 {
      var table: [Key: LocalReport<Task.Message>] = [:]
      for _ in 0..<(try reader.readCount(elementSize: 24, "reports")) {
        let key = Key(client: try checked(try reader.readInt()), key: try reader.readInt())
        table[key] = try LocalReport(from: &reader, task: task)
      }
      tables.append(table)
    }
    results = tables[0]
    uploads = tables[1]
    roundOpen = try reader.readBool()
    needed = try reader.readInt()
    outstanding = try reader.readInt()
    reports = []
    for _ in 0..<(try reader.readCount(elementSize: 32, "held reports")) {
      let client = try checked(try reader.readInt())
      let report = try LocalReport(from: &reader, task: task)
      reports.append(
        ArrivedReport(
          client: client, report: report, startedFrom: try reader.readInt(), staleness: try reader.readInt(),
          arrivalTime: try reader.readDouble()))
    }
    arrivals = []
    for _ in 0..<(try reader.readCount(elementSize: 24, "arrivals")) {
      arrivals.append(Arrival(staleness: try reader.readInt(), metrics: try reader.readDictionary(), weight: try reader.readDouble()))
    }
    version = try reader.readInt()
    dispatchCount = try reader.readInt()
    retryScheduled = try reader.readBool()
    try reader.section("server-end")
    guard reader.isAtEnd else { throw .invalid(what: "trailing bytes after the state", value: "\(reader.offset)", offset: reader.offset) }
    resumed = true
  }

  func checked(_ client: Int) throws(ArchiveError) -> ClientID {
    guard client >= 0 && client < settings.clients else {
      throw .mismatch(what: "a client id", found: "\(client)", expected: "0..<\(settings.clients) (the population)")
    }
    return client
  }

  static func archive(_ event: Event, to writer: inout ArchiveWriter) {
    switch event {
    case .arrivedAtClient(let client, let key): writer.write([0, client, key])
    case .computeDone(let client, let key): writer.write([1, client, key])
    case .crashed(let client, let key): writer.write([2, client, key])
    case .wentOffline(let client, let key): writer.write([3, client, key])
    case .arrivedAtServer(let client, let key): writer.write([4, client, key])
    case .deadline(let round): writer.write([5, round, 0])
    case .retry: writer.write([6, 0, 0])
    }
  }

  static func readEvent(from reader: inout ArchiveReader) throws(ArchiveError) -> Event {
    let start = reader.offset
    let fields = try reader.readInts()
    guard fields.count == 3 else { throw .invalid(what: "event", value: "\(fields.count) fields", offset: start) }
    switch fields[0] {
    case 0: return .arrivedAtClient(fields[1], fields[2])
    case 1: return .computeDone(fields[1], fields[2])
    case 2: return .crashed(fields[1], fields[2])
    case 3: return .wentOffline(fields[1], fields[2])
    case 4: return .arrivedAtServer(fields[1], fields[2])
    case 5: return .deadline(fields[1])
    case 6: return .retry
    default: throw .invalid(what: "event kind", value: "\(fields[0])", offset: start)
    }
  }
}
