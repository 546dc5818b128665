import Foundation
import Simulation

/// The bookkeeping of a run between rounds: turns each round's summary and evaluations into
/// metrics records, and keeps what the run's summary needs (last evaluations, failed rounds,
/// non-finite findings, diverged clients).
///
/// Nothing non-finite is averaged away: a mean over clients that includes a NaN or ±∞ is itself
/// non-finite (null in JSON), and every non-finite value found is counted.
final class RoundRecorder {
  let writer: MetricsWriter
  let clients: Int
  let decentralized: Bool
  let log: (String) -> Void
  /// Names of the data's domains (language models), for routing statistics per domain.
  var domainNames: [String] = []
  /// How many findings and failed rounds are logged one by one (the rest are counted).
  let logLimit = 10

  var bytes = 0
  /// The latest evaluation of every evaluated client on each split (clients whose split is
  /// empty are absent).
  var lastEvaluations: [String: [Int: ClientEvaluation]] = [:]
  var distances: [Double] = []
  var lastEpsilons: [Double?] = []
  var failedRounds = 0
  var roundsRecorded = 0
  var nonFiniteUpdates = 0
  var nonFiniteAggregates = 0
  /// Clients with a rejected update or a non-finite aggregate.
  var divergedClients: Set<Int> = []
  var logged = 0

  init(writer: MetricsWriter, clients: Int, decentralized: Bool, log: @escaping (String) -> Void) {
    self.writer = writer
    self.clients = clients
    self.decentralized = decentralized
    self.log = log
  }

  /// A round failed when nothing was aggregated from its work: no report reached the server (a
  /// server schedule), or no node took part or every node's result was rejected (gossip).
  func isFailed(_ summary: RoundSummary) -> Bool {
    if decentralized {
      return summary.aggregatedReports == 0 || (summary.selected > 0 && summary.rejectedReports >= summary.selected)
    }
    return !summary.aggregated
  }

  /// Writes `non_finite` records for what the federation found (in a fixed order) and counts them.
  func record(findings: [NonFiniteFinding], policy: FaultsSection.NonFinite) {
    for finding in findings {
      var record: [String: JSONValue] = [
        "kind": .string("non_finite"), "round": .int(finding.round), "site": .string(finding.site.rawValue),
        "tensor": .string(finding.tensor), "action": .string(policy == .reject ? "rejected" : "stopped"),
      ]
      record["client"] = finding.client.map(JSONValue.int) ?? .null
      writer.line(record)
      if finding.site == .aggregate { nonFiniteAggregates += 1 } else { nonFiniteUpdates += 1 }
      if let client = finding.client { divergedClients.insert(client) }
      note("\(finding) — \(policy == .reject ? "rejected" : "stopping")")
    }
  }

  func noteFailedRound(_ summary: RoundSummary) {
    failedRounds += 1
    note(
      "round \(summary.round + 1) failed: \(summary.aggregatedReports) reports aggregated (\(summary.selected) selected, \(summary.dropouts) dropped out, \(summary.lostMessages) messages lost, \(summary.rejectedReports) rejected)"
    )
  }

  /// Logs the first few events one by one, then says once that the rest are only counted.
  private func note(_ message: String) {
    logged += 1
    if logged <= logLimit {
      log(message)
    } else if logged == logLimit + 1 {
      log("further failed rounds and non-finite values are counted in metrics.jsonl and summary.json, not logged")
    }
  }

  /// Per-client records of one split's evaluation and the split's means for the round record.
  func record(
    evaluations: [(client: Int, evaluation: ClientEvaluation)], split: String, round: Int, time: Double, languageModel: Bool
  ) -> [String: JSONValue] {
    lastEvaluations[split] = Dictionary(
      uniqueKeysWithValues: evaluations.filter { $0.evaluation.count > 0 }.map { ($0.client, $0.evaluation) })
    for (client, evaluation) in evaluations where evaluation.count > 0 {
      var record: [String: JSONValue] = [
        "kind": .string("client_eval"), "round": .int(round), "client": .int(client), "split": .string(split),
        "loss": .double(evaluation.loss), "count": .int(evaluation.count), "sim_time": .double(time),
      ]
      if let accuracy = evaluation.accuracy { record["accuracy"] = .double(accuracy) }
      if let perplexity = evaluation.perplexity { record["perplexity"] = .double(perplexity) }
      if let share = evaluation.generalistShare { record["generalist_share"] = .array(share.map(JSONValue.double)) }
      if let byDomain = evaluation.generalistShareByDomain {
        record["generalist_share_by_domain"] = .object(
          Dictionary(uniqueKeysWithValues: byDomain.map { (domainName($0.key), .array($0.value.map(JSONValue.double))) }))
      }
      writer.line(record)
    }
    let means = SplitMeans(evaluations.map(\.evaluation).filter { $0.count > 0 }, languageModel: languageModel)
    let short = split == "validation" ? "val" : split == "train" ? "train_eval" : split
    var fields: [String: JSONValue] = [:]
    if let loss = means.loss { fields["mean_\(short)_loss"] = .double(loss) }
    if let accuracy = means.accuracy { fields["mean_\(split)_accuracy"] = .double(accuracy) }
    if let perplexity = means.perplexity { fields["mean_\(short)_perplexity"] = .double(perplexity) }
    if let exp = means.expMeanLoss { fields["exp_mean_\(short)_loss"] = .double(exp) }
    if means.nonFinite > 0 { fields["non_finite_\(short)_clients"] = .int(means.nonFinite) }
    // Routing (mixtures of experts): per layer, the mean over clients of the gate weight on generalists.
    let shares = evaluations.compactMap(\.evaluation.generalistShare)
    if let layers = shares.first?.count, !shares.isEmpty {
      fields["mean_\(short)_generalist_share"] = .array(
        (0..<layers).map { layer in .double(shares.map { $0[layer] }.reduce(0, +) / Double(shares.count)) })
    }
    // Per domain: the mean over the clients whose split holds that domain.
    var byDomain: [Int: [[Double]]] = [:]
    for evaluation in evaluations {
      for (domain, share) in evaluation.evaluation.generalistShareByDomain ?? [:] { byDomain[domain, default: []].append(share) }
    }
    if !byDomain.isEmpty {
      fields["mean_\(short)_generalist_share_by_domain"] = .object(
        Dictionary(
          uniqueKeysWithValues: byDomain.map { domain, shares in
            (
              domainName(domain),
              .array((0..<shares[0].count).map { layer in .double(shares.map { $0[layer] }.reduce(0, +) / Double(shares.count)) })
            )
          }))
    }
    return fields
  }

  func domainName(_ index: Int) -> String { domainNames.indices.contains(index) ? domainNames[index] : "domain-\(index)" }

  /// The last evaluation's means of `split`, for the summary (nil when it was never evaluated).
  func finalMeans(_ split: String, languageModel: Bool) -> SplitMeans? {
    guard let evaluations = lastEvaluations[split] else { return nil }
    return SplitMeans(evaluations.keys.sorted().compactMap { evaluations[$0] }, languageModel: languageModel)
  }

  /// Clients whose final evaluation on any split is non-finite.
  var clientsWithNonFiniteEvaluation: Set<Int> {
    var result: Set<Int> = []
    for evaluations in lastEvaluations.values {
      for (client, evaluation) in evaluations where !evaluation.loss.isFinite { result.insert(client) }
    }
    return result
  }
}

/// Means over the clients evaluated on one split. A non-finite client value makes the mean
/// non-finite: a diverged client is never dropped from an average.
struct SplitMeans {
  /// Mean over clients of their mean loss.
  let loss: Double?
  /// Mean over clients of their accuracy.
  let accuracy: Double?
  /// Mean over clients of their perplexity exp(loss_i): what papers on personalised language
  /// models report (language models only).
  let perplexity: Double?
  /// exp(mean over clients of loss_i): the perplexity of the mean loss (language models only).
  let expMeanLoss: Double?
  /// Clients whose loss is NaN or ±∞.
  let nonFinite: Int

  init(_ evaluations: [ClientEvaluation], languageModel: Bool) {
    loss = mean(evaluations.map(\.loss))
    let accuracies = evaluations.compactMap(\.accuracy)
    accuracy = accuracies.count == evaluations.count ? mean(accuracies) : nil
    perplexity = languageModel ? mean(evaluations.map { Foundation.exp($0.loss) }) : nil
    expMeanLoss = languageModel ? loss.map { Foundation.exp($0) } : nil
    nonFinite = evaluations.filter { !$0.loss.isFinite }.count
  }
}
