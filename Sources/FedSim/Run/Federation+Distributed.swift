import Aggregation
import Simulation
import StateArchive

/// A federation sharded over the ranks of a `Cluster`: a client's learner state lives on its
/// owner, which trains and evaluates it; what every rank needs (reports, counters, findings,
/// failures, evaluations) is exchanged, and applied in the same order on every rank.
extension Federation: DistributedTask {
  // MARK: - Counters every rank keeps

  func finishedLocalWork(client: ClientID, state: ClientState, report: LocalReport<FederationMessage>, round: Int) {
    count(report, of: state, client: client, round: round)
  }

  func finishedLocalWork(node: ClientID, state: ClientState, report: LocalReport<FederationMessage>, round: Int) {
    count(report, of: state, client: node, round: round)
  }

  /// Participations, rejections, and releases (what the accountant counts: a release is what
  /// leaves the client, so nothing in rounds without exchange).
  /// Under `faults.non_finite: stop`, a rejected job's finding stops the run.
  private func count(_ report: LocalReport<FederationMessage>, of state: ClientState, client: ClientID, round: Int) {
    state.participations += 1
    if report.rejected {
      state.rejections += 1
      if nonFinite == .stop, let finding = findings.work(client: client, round: round) { errors.record(.nonFinite(finding)) }
    } else if countsReleases && exchanges(round: round) {
      state.releases += 1
    }
  }

  // MARK: - Job notes

  /// The job's non-finite finding and the rank's first failure, if any.
  func archiveNotes(client: ClientID, round: Int, to writer: inout ArchiveWriter) {
    let finding = findings.work(client: client, round: round)
    writer.write(finding != nil)
    finding?.archive(to: &writer)
    let error = errors.first
    writer.write(error != nil)
    if let error {
      if case .nonFinite(let finding) = error {
        writer.write(true)
        finding.archive(to: &writer)
      } else {
        writer.write(false)
        writer.write(error.description)
      }
    }
  }

  func readNotes(client: ClientID, round: Int, from reader: inout ArchiveReader) throws(ArchiveError) {
    if try reader.readBool() { findings.record(try NonFiniteFinding(from: &reader)) }
    if try reader.readBool() {
      if try reader.readBool() {
        errors.record(.nonFinite(try NonFiniteFinding(from: &reader)))
      } else {
        errors.record(.simulation("on another rank: \(try reader.readString())"))
      }
    }
  }

  // MARK: - Evaluation

  /// The evaluation of each of `clients` (ascending ids) on `split`: each rank evaluates the
  /// clients it owns, in parallel, and the results are gathered in id order.
  func evaluate(split: String, clients ids: [Int], workers: Int) -> [(client: Int, evaluation: ClientEvaluation)] {
    let learner = self.learner
    let evaluations = gathered(ids, workers: workers) { client, values in
      learner.evaluate(values: values, client: client, split: split)
    } write: { evaluation, writer in
      evaluation.archive(to: &writer)
    } read: { reader throws(ArchiveError) in
      try ClientEvaluation(from: &reader)
    }
    // After a failed exchange (the run stops), this rank's clients only.
    let evaluated = evaluations.count == ids.count ? ids : ids.filter { cluster.owns($0) }
    return Array(zip(evaluated, evaluations)).map { (client: $0.0, evaluation: $0.1) }
  }

  /// mean_i ‖x_i − x*‖² over `clients` (every client, or the evaluation sample), when the
  /// optimum is known: each client's sum, then their sum in id order.
  func meanSquaredDistanceToOptimum(clients ids: [Int]) -> Double? {
    guard let optimum = learner.optimum, !ids.isEmpty else { return nil }
    let distances = gathered(ids, workers: 1) { _, values in
      var total = 0.0
      for i in 0..<optimum.count { total += (Double(values[i]) - optimum[i]) * (Double(values[i]) - optimum[i]) }
      return total
    } write: { distance, writer in
      writer.write(distance)
    } read: { reader throws(ArchiveError) in
      try reader.readDouble()
    }
    return distances.reduce(0, +) / Double(ids.count)
  }

  /// `measure(client, currentValues(of: client))` for each of `ids`, computed by the client's
  /// owner (in parallel) and exchanged; in id order on every rank. A failed exchange is recorded
  /// in `errors` (the run then stops) and leaves this rank's clients only.
  private func gathered<Value: Sendable>(
    _ ids: [Int], workers: Int, measure: @escaping @Sendable (Int, [Float]) -> Value,
    write: @escaping (Value, inout ArchiveWriter) -> Void, read: @escaping (inout ArchiveReader) throws(ArchiveError) -> Value
  ) -> [Value] {
    // The values are read here, on the simulator thread, for this rank's clients only.
    let inputs = ids.map { ($0, cluster.owns($0) ? currentValues(of: $0) : []) }
    do {
      return try cluster.map(
        inputs, client: \.0, pool: WorkerPool(workers: workers), compute: { input, _ in measure(input.0, input.1) },
        write: { _, value, writer in write(value, &writer) }, read: { _, reader throws(ArchiveError) in try read(&reader) })
    } catch {
      errors.record(.simulation("distributed run: \(error)"))
      return inputs.filter { cluster.owns($0.0) }.map { measure($0.0, $0.1) }
    }
  }

  // MARK: - Gossip

  /// Under `faults.non_finite: stop`, a non-finite mixed model stops the run — the first in node
  /// order, whatever thread or rank found it.
  func finishedMixing(node: ClientID, state: ClientState, round: Int) {
    if nonFinite == .stop, let finding = findings.aggregate(round: round, client: node) { errors.record(.nonFinite(finding)) }
  }

  /// The node's mixing row of this round, its non-finite finding and what its aggregator recorded.
  func archiveMixNotes(node: ClientID, round: Int, to writer: inout ArchiveWriter) {
    let state = clients[node]
    let row = state?.lastRowRound == round ? state?.lastRow : nil
    writer.write(row != nil)
    if let row {
      writer.write(row.entries.map(\.client))
      writer.write(row.entries.map(\.weight))
    }
    let finding = findings.aggregate(round: round, client: node)
    writer.write(finding != nil)
    finding?.archive(to: &writer)
    Self.archive(aggregationReports.recorded(round: round, receiver: node), to: &writer)
  }

  func readMixNotes(node: ClientID, round: Int, from reader: inout ArchiveReader) throws(ArchiveError) {
    if try reader.readBool() {
      let ids = try reader.readInts()
      let weights = try reader.readDoubles()
      guard ids.count == weights.count else { throw .invalid(what: "mixing row", value: "\(ids.count) ids", offset: reader.offset) }
      clients[node]?.lastRow = MixingRow(Array(zip(ids, weights)).map { (client: $0.0, weight: $0.1) })
      clients[node]?.lastRowRound = round
    }
    if try reader.readBool() { findings.record(try NonFiniteFinding(from: &reader)) }
    try Self.readReport(into: aggregationReports.report(for: round, receiver: node), from: &reader)
  }

  /// A receiver's aggregation report: its numbers and warnings in order.
  static func archive(_ report: AggregationReport?, to writer: inout ArchiveWriter) {
    let entries = report?.entries ?? []
    writer.write(entries.count)
    for entry in entries {
      writer.write(entry.name)
      writer.write(entry.value)
    }
    let warnings = report?.warnings ?? []
    writer.write(warnings.count)
    for warning in warnings { writer.write(warning) }
  }

  static func readReport(into report: AggregationReport, from reader: inout ArchiveReader) throws(ArchiveError) {
    for _ in 0..<(try reader.readCount(elementSize: 9, "aggregator numbers")) {
      report.record(try reader.readString(), try reader.readDouble())
    }
    for _ in 0..<(try reader.readCount(elementSize: 8, "aggregator warnings")) { report.warn(try reader.readString()) }
  }

  /// A node's public key for its neighbours (Decor's setup message). In a distributed run each
  /// rank holds only its own nodes' key pairs: the public keys are exchanged once, at the first
  /// call (every rank makes it at the same point of the same simulation).
  func publicKeyMessage(of node: ClientID) -> [UInt8]? {
    guard cluster.size > 1 else { return clients[node]?.secrets?.publicKeyMessage }
    guard privacy?.mechanism == .correlated else { return nil }
    if publicKeys == nil {
      let ids = clients.keys.sorted()
      let inputs = ids.map { ($0, cluster.owns($0) ? clients[$0]?.secrets?.publicKeyMessage ?? [] : []) }
      do {
        let keys = try cluster.map(
          inputs, client: \.0, pool: WorkerPool(workers: 1), compute: { input, _ in input.1 },
          write: { _, key, writer in writer.write(key) }, read: { _, reader throws(ArchiveError) in try reader.readBytes() })
        publicKeys = Dictionary(uniqueKeysWithValues: zip(ids, keys))
      } catch {
        errors.record(.simulation("distributed run: \(error)"))
        publicKeys = [:]
      }
    }
    return publicKeys?[node].flatMap { $0.isEmpty ? nil : $0 }
  }

  /// √(Σ_i ‖x_i − x̄‖²) over the clients holding state (each rank sends its own clients' values).
  func consensusDistance() -> Double {
    let ids = clients.keys.sorted()
    let all = gathered(ids, workers: 1) { _, values in
      values
    } write: { values, writer in
      writer.write(values)
    } read: { reader throws(ArchiveError) in
      try reader.readFloats()
    }
    guard let count = all.first?.count else { return 0 }
    var mean = [Double](repeating: 0, count: count)
    for values in all { for i in 0..<count { mean[i] += Double(values[i]) } }
    for i in 0..<count { mean[i] /= Double(all.count) }
    var total = 0.0
    for values in all { for i in 0..<count { total += (Double(values[i]) - mean[i]) * (Double(values[i]) - mean[i]) } }
    return total.squareRoot()
  }

  // MARK: - Personalising server

  /// Each receiver's mixing row and model from `mix`: on the pool, or in a distributed run on
  /// the rank that owns the receiver (it holds the receiver's own model and validation data),
  /// exchanged with what the receiver's aggregator recorded. Nil when the exchange failed.
  func personalisedModels(
    _ items: [(offset: Int, element: ArrivedReport<FederationMessage>)], round: Int,
    mix: @escaping @Sendable ((offset: Int, element: ArrivedReport<FederationMessage>), Int) -> (MixingRow, [Float])
  ) -> [(MixingRow, [Float])]? {
    let pool = WorkerPool(workers: workers)
    guard cluster.size > 1 else { return pool.map(items, mix) }
    do {
      return try cluster.map(
        items, client: \.element.client, pool: pool, compute: mix,
        write: { item, output, writer in
          writer.write(output.0.entries.map(\.client))
          writer.write(output.0.entries.map(\.weight))
          writer.write(output.1)
          Self.archive(self.aggregationReports.recorded(round: round, receiver: item.element.client), to: &writer)
        },
        read: { item, reader throws(ArchiveError) -> (MixingRow, [Float]) in
          let ids = try reader.readInts()
          let weights = try reader.readDoubles()
          guard ids.count == weights.count else { throw .invalid(what: "mixing row", value: "\(ids.count) ids", offset: reader.offset) }
          let mixed = try reader.readFloats()
          try Self.readReport(into: self.aggregationReports.report(for: round, receiver: item.element.client), from: &reader)
          return (MixingRow(Array(zip(ids, weights)).map { (client: $0.0, weight: $0.1) }), mixed)
        })
    } catch {
      errors.record(.simulation("\(error)"))
      return nil
    }
  }
}
