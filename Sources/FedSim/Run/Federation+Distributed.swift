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
    } else if privacy != nil && communicates && exchanges(round: round) {
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
    return Array(zip(ids, evaluations)).map { (client: $0.0, evaluation: $0.1) }
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
  /// owner and exchanged; in id order on every rank. A failed exchange is recorded in `errors`
  /// (the run then stops) and leaves the other ranks' clients measured with this rank's values.
  private func gathered<Value: Sendable>(
    _ ids: [Int], workers: Int, measure: @escaping @Sendable (Int, [Float]) -> Value,
    write: (Value, inout ArchiveWriter) -> Void, read: (inout ArchiveReader) throws(ArchiveError) -> Value
  ) -> [Value] {
    let mine = ids.filter { cluster.owns($0) }
    let inputs = mine.map { ($0, currentValues(of: $0)) }
    let local = WorkerPool(workers: workers).map(inputs) { input, _ in measure(input.0, input.1) }
    guard cluster.size > 1 else { return local }
    var writer = ArchiveWriter()
    for value in local { write(value, &writer) }
    do {
      var readers = try cluster.exchange(writer.bytes).map { ArchiveReader($0) }
      var next = local.makeIterator()
      var values: [Value] = []
      for client in ids {
        let owner = cluster.owner(of: client)
        if owner == cluster.rank, let value = next.next() {
          values.append(value)
        } else {
          values.append(try read(&readers[owner]))
        }
      }
      return values
    } catch {
      errors.record(.simulation("distributed evaluation: \(error)"))
      return ids.map { measure($0, currentValues(of: $0)) }
    }
  }
}
