import Aggregation
import Simulation
import StateArchive

/// Checkpoints of a federation: the global model, the aggregator's state, every client's learner
/// state and counters (participations, rejections and releases — the accountant's state),
/// personalised models, running sums of open aggregations and unreported non-finite findings.
/// Edge secrets are never written: a restored client agrees on them again.
extension Federation: ResumableTask {
  typealias PersistentState = FederationClient<Learner.State>

  func archive(to writer: inout ArchiveWriter) {
    writer.section("federation")
    writer.write(global)
    writer.section("aggregator")
    aggregator.archive(to: &writer)
    writer.section("clients")
    let ids = clients.keys.sorted()
    writer.write(ids.count)
    for id in ids {
      let client = clients[id]!
      writer.write(id)
      // Checkpoints are single-process: every client's learner state is here.
      if let state = client.learner { learner.archive(state, to: &writer) }
      writer.write([client.participations, client.rejections, client.releases, client.lastRowRound])
      writer.write(client.lastRow != nil)
      if let row = client.lastRow {
        writer.write(row.entries.map(\.client))
        writer.write(row.entries.map(\.weight))
      }
    }
    writer.section("personal")
    let personalised = personal.keys.sorted()
    writer.write(personalised)
    for id in personalised { writer.write(personal[id]!) }
    writer.section("open-aggregations")
    let open = pendingSums.keys.sorted()
    writer.write(open)
    for round in open { writer.write(pendingSums[round]!) }
    let stepRounds = pendingStepSizes.keys.sorted()
    writer.write(stepRounds)
    writer.write(stepRounds.map { pendingStepSizes[$0]! })
    findings.archive(to: &writer)
    writer.section("federation-end")
  }

  func restore(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("federation")
    let global = try reader.readFloats()
    guard global.count == self.global.count else {
      throw .mismatch(what: "the model size", found: "\(global.count) values", expected: "\(self.global.count)")
    }
    self.global = global
    try reader.section("aggregator")
    try aggregator.restore(from: &reader)
    try reader.section("clients")
    clients = [:]
    for _ in 0..<(try reader.readCount(elementSize: 8, "clients")) {
      let id = try reader.readInt()
      guard id >= 0, id < population else {
        throw .mismatch(what: "a client id", found: "\(id)", expected: "0..<\(population) (the population)")
      }
      let client = makeState(id)
      guard let state = client.learner else {
        throw .mismatch(what: "the owner of client \(id)", found: "rank \(cluster.rank)", expected: "a single-process run")
      }
      try learner.restore(state, from: &reader)
      let counters = try reader.readInts()
      guard counters.count == 4 else { throw .invalid(what: "client counters", value: "\(counters.count)", offset: reader.offset) }
      client.participations = counters[0]
      client.rejections = counters[1]
      client.releases = counters[2]
      client.lastRowRound = counters[3]
      if try reader.readBool() {
        let ids = try reader.readInts()
        let weights = try reader.readDoubles()
        guard ids.count == weights.count else { throw .invalid(what: "mixing row", value: "\(ids.count) ids", offset: reader.offset) }
        client.lastRow = MixingRow(Array(zip(ids, weights)).map { (client: $0.0, weight: $0.1) })
      }
    }
    try reader.section("personal")
    personal = [:]
    for id in try reader.readInts() {
      let values = try reader.readFloats()
      guard values.count == shared.packedCount else {
        throw .mismatch(what: "client \(id)'s model size", found: "\(values.count)", expected: "\(shared.packedCount)")
      }
      personal[id] = values
    }
    try reader.section("open-aggregations")
    pendingSums = [:]
    for round in try reader.readInts() {
      let sum: WeightedSum = try reader.read()
      guard sum.sum.count == shared.packedCount else {
        throw .mismatch(what: "an open sum's size", found: "\(sum.sum.count)", expected: "\(shared.packedCount)")
      }
      pendingSums[round] = sum
    }
    let stepRounds = try reader.readInts()
    let stepSizes = try reader.readDoubles()
    guard stepRounds.count == stepSizes.count else {
      throw .invalid(what: "open step sizes", value: "\(stepRounds.count) rounds", offset: reader.offset)
    }
    pendingStepSizes = Dictionary(uniqueKeysWithValues: zip(stepRounds, stepSizes))
    try findings.restore(from: &reader)
    try reader.section("federation-end")
  }

  func archive(message: FederationMessage, to writer: inout ArchiveWriter) {
    writer.write(message.values)
    writer.write(message.stepSize)
    writer.write(message.predictions != nil)
    if let predictions = message.predictions {
      writer.write([predictions.positions, predictions.vocabulary, predictions.topK])
      writer.write(predictions.dense)
    }
  }

  func readMessage(from reader: inout ArchiveReader) throws(ArchiveError) -> FederationMessage {
    var message = FederationMessage(values: try reader.readFloats())
    message.stepSize = try reader.readDouble()
    if try reader.readBool() {
      let shape = try reader.readInts()
      let dense = try reader.readFloats()
      guard shape.count == 3, shape[0] >= 0, shape[1] >= 0, shape[0].multipliedReportingOverflow(by: shape[1]).partialValue == dense.count
      else { throw .invalid(what: "predictions", value: "\(shape)", offset: reader.offset) }
      message.predictions = Predictions(positions: shape[0], vocabulary: shape[1], topK: shape[2], dense: dense)
    }
    return message
  }

  func restoredState(of client: ClientID) -> FederationClient<Learner.State> { clients[client] ?? makeState(client) }
}
