import StateArchive

extension RejectedWork: Archivable {
  public func archive(to writer: inout ArchiveWriter) {
    writer.write(client)
    writer.write(round)
  }

  public init(from reader: inout ArchiveReader) throws(ArchiveError) {
    self.init(client: try reader.readInt(), round: try reader.readInt())
  }
}

extension RoundSummary: Archivable {
  public func archive(to writer: inout ArchiveWriter) {
    writer.section("round-summary")
    for value in [
      round, selected, aggregatedReports, dropouts, lostMessages, discardedReports, rejectedReports, bytesDown, bytesUp, maxStaleness,
    ] { writer.write(value) }
    writer.write(startTime)
    writer.write(endTime)
    writer.write(aggregated)
    writer.write(meanStaleness)
    writer.write(rejectedWork)
    writer.write(clientMetrics)
  }

  public init(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("round-summary")
    let round = try reader.readInt()
    self.init(round: round, startTime: 0)
    selected = try reader.readInt()
    aggregatedReports = try reader.readInt()
    dropouts = try reader.readInt()
    lostMessages = try reader.readInt()
    discardedReports = try reader.readInt()
    rejectedReports = try reader.readInt()
    bytesDown = try reader.readInt()
    bytesUp = try reader.readInt()
    maxStaleness = try reader.readInt()
    startTime = try reader.readDouble()
    endTime = try reader.readDouble()
    aggregated = try reader.readBool()
    meanStaleness = try reader.readDouble()
    rejectedWork = try reader.readArray()
    clientMetrics = try reader.readDictionary()
  }
}

extension SetupSummary: Archivable {
  public func archive(to writer: inout ArchiveWriter) {
    writer.section("setup-summary")
    writer.write(messages)
    writer.write(bytes)
    writer.write(retransmissions)
    writer.write(endTime)
  }

  public init(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("setup-summary")
    self.init()
    messages = try reader.readInt()
    bytes = try reader.readInt()
    retransmissions = try reader.readInt()
    endTime = try reader.readDouble()
  }
}

extension EventQueue {
  /// The pending entries in heap order and the next sequence number: restoring them gives a queue
  /// that pops the same events in the same order.
  func archive(to writer: inout ArchiveWriter, event: (Event, inout ArchiveWriter) -> Void) {
    writer.section("event-queue")
    writer.write(nextSequence)
    writer.write(heap.count)
    for entry in heap {
      writer.write(entry.time)
      writer.write(entry.sequence)
      event(entry.event, &writer)
    }
  }

  init(from reader: inout ArchiveReader, event: (inout ArchiveReader) throws(ArchiveError) -> Event) throws(ArchiveError) {
    try reader.section("event-queue")
    self.init()
    nextSequence = try reader.readUInt64()
    let count = try reader.readCount(elementSize: 17, "queued events")
    heap.reserveCapacity(count)
    for _ in 0..<count {
      let time = try reader.readDouble()
      let sequence = try reader.readUInt64()
      guard !time.isNaN, sequence < nextSequence else {
        throw .invalid(what: "queued event", value: "time \(time), sequence \(sequence)", offset: reader.offset)
      }
      heap.append(Entry(time: time, sequence: sequence, event: try event(&reader)))
    }
    // A heap written by this queue is already ordered; check it rather than trust the file.
    for index in heap.indices.dropFirst() where heap[index].precedes(heap[(index - 1) / 2]) {
      throw .invalid(what: "event queue order", value: "entry \(index)", offset: reader.offset)
    }
  }
}
