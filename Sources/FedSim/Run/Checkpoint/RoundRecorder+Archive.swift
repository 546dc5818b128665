import StateArchive

extension ClientEvaluation: Archivable {
  func archive(to writer: inout ArchiveWriter) {
    writer.write(loss)
    writer.write(count)
    writer.write(accuracy)
    writer.write(perplexity)
    writer.write(generalistShare != nil)
    if let generalistShare { writer.write(generalistShare) }
    let domains = generalistShareByDomain?.keys.sorted()
    writer.write(domains != nil)
    if let domains, let byDomain = generalistShareByDomain {
      writer.write(domains)
      for domain in domains { writer.write(byDomain[domain]!) }
    }
  }

  init(from reader: inout ArchiveReader) throws(ArchiveError) {
    self.init(
      loss: try reader.readDouble(), count: try reader.readInt(), accuracy: try reader.readOptionalDouble(),
      perplexity: try reader.readOptionalDouble())
    if try reader.readBool() { generalistShare = try reader.readDoubles() }
    if try reader.readBool() {
      var byDomain: [Int: [Double]] = [:]
      for domain in try reader.readInts() { byDomain[domain] = try reader.readDoubles() }
      generalistShareByDomain = byDomain
    }
  }
}

extension RoundRecorder {
  /// What the summary needs of the rounds recorded so far.
  func archive(to writer: inout ArchiveWriter) {
    writer.section("recorder")
    writer.write([bytes, failedRounds, roundsRecorded, nonFiniteUpdates, nonFiniteAggregates, logged])
    writer.write(distances)
    writer.write(lastEpsilons.count)
    for epsilon in lastEpsilons { writer.write(epsilon) }
    writer.write(divergedClients.sorted())
    let splits = lastEvaluations.keys.sorted()
    writer.write(splits.count)
    for split in splits {
      writer.write(split)
      let evaluations = lastEvaluations[split]!
      let clients = evaluations.keys.sorted()
      writer.write(clients)
      for client in clients { writer.write(evaluations[client]!) }
    }
  }

  func restore(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("recorder")
    let counters = try reader.readInts()
    guard counters.count == 6 else { throw .invalid(what: "recorder counters", value: "\(counters.count)", offset: reader.offset) }
    (bytes, failedRounds, roundsRecorded, nonFiniteUpdates, nonFiniteAggregates, logged) =
      (counters[0], counters[1], counters[2], counters[3], counters[4], counters[5])
    distances = try reader.readDoubles()
    lastEpsilons = []
    for _ in 0..<(try reader.readCount(elementSize: 1, "epsilons")) { lastEpsilons.append(try reader.readOptionalDouble()) }
    divergedClients = Set(try reader.readInts())
    lastEvaluations = [:]
    for _ in 0..<(try reader.readCount(elementSize: 16, "evaluated splits")) {
      let split = try reader.readString()
      var evaluations: [Int: ClientEvaluation] = [:]
      for client in try reader.readInts() { evaluations[client] = try reader.read() }
      lastEvaluations[split] = evaluations
    }
  }
}
