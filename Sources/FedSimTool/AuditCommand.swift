import ArgumentParser
import FedSim
import Foundation
import Learning

struct AuditCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Audit a private scenario empirically: a lower bound on ε next to the accountant's.",
    discussion: """
      Runs the scenario --trials times with a gradient canary in one client and as many times with the \
      canary replaced by its opposite (fresh noise and edge keys each time, everything else fixed). An \
      adversary that sees what the accountant's threat model allows (the client's messages; for decor, \
      every message and the keys of the curious users; for cdp, the released aggregates) scores each \
      trial; a threshold chosen on separate calibration trials and Clopper–Pearson bounds on its error \
      rates give ε_lower. A correct mechanism keeps ε_lower ≤ ε; above it, the mechanism or the accountant \
      is wrong (--fault shows two such bugs being caught).

        fedsim audit scenarios/audit-gaussian.yaml --trials 10000
        fedsim audit scenarios/decor-synthetic.yaml --set schedule.rounds=4 --trials 2000 --json
      """)

  @Argument(help: "Scenario file (YAML) with a private aggregator (decor, ldp, cdp) and a privacy section.") var file: String
  @Option(name: .customLong("set"), help: "Override a field: key.path=value (repeatable).") var overrides: [String] = []
  @Option(help: "Trials per side (with and without the canary) for the bound.") var trials: Int = 1000
  @Option(name: .customLong("calibration-trials"), help: "Trials per side that choose the threshold (default: trials/2, at least 100).")
  var calibrationTrials: Int?
  @Option(help: "Confidence of the lower bound.") var confidence: Double = 0.95
  @Option(help: "The canary's client (default: the honest client with the largest ε).") var client: Int?
  @Option(help: "The canary's coordinate in the shared values.") var coordinate: Int = 0
  @Option(
    help: "A deliberately broken mechanism, to see the audit catch it: \(MechanismFault.allCases.map(\.rawValue).joined(separator: ", ")).")
  var fault: String?
  @Option(help: "Worker threads (trials run in parallel; results do not depend on it).")
  var workers: Int = ProcessInfo.processInfo.activeProcessorCount
  @Flag(help: "One JSON object.") var json = false

  func run() throws {
    BLAS.threads = 1  // as `fedsim run`: parallelism comes from the trials
    let log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    do {
      let scenario = try ScenarioDecoder.decode(contentsOf: URL(fileURLWithPath: file), overrides: overrides)
      var options = PrivacyAudit.Options()
      options.trials = trials
      options.calibrationTrials = calibrationTrials
      options.confidence = confidence
      options.client = client
      options.coordinate = coordinate
      options.workers = workers
      if let fault {
        guard let parsed = MechanismFault(rawValue: fault) else {
          throw RunError.invalid(
            field: "--fault", value: fault, reason: "one of \(MechanismFault.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        options.fault = parsed
      }
      let result = try PrivacyAudit(scenario: scenario, options: options, cacheDirectory: URL(fileURLWithPath: "runs/.cache")).run(log: log)
      if json {
        print(result.jsonText)
      } else {
        print(Self.table(result))
      }
    } catch {
      FileHandle.standardError.write(Data(("\(error)\n").utf8))
      throw ExitCode(1)
    }
  }

  static func table(_ r: PrivacyAudit.Result) -> String {
    let bound = r.bound
    var lines = [
      "mechanism        \(r.mechanism) noise at \(r.level) level\(r.fault.map { " — deliberately broken: \($0.rawValue)" } ?? "")",
      "canary           client \(r.target), coordinate \(r.coordinate), \(r.releases) release\(r.releases == 1 ? "" : "s")",
      "observed         \(r.observed)",
      "score            \(r.score) (chosen on the calibration trials)",
      "threat model     \(r.threatModel)",
      String(
        format: "trials           %d per side (+ %d per side for the threshold %.6g)", bound.trialsWith, r.calibrationTrials,
        bound.threshold),
      String(
        format: "errors           %d false positives, %d false negatives", bound.falsePositives, bound.falseNegatives),
      String(format: "accountant ε     %.4f  (%@, δ = %.3g)", r.epsilon, r.accountant, r.delta),
      String(format: "audited ε ≥      %.4f  (%.0f%% confidence, Clopper–Pearson)", bound.epsilonLower, 100 * r.confidence),
    ]
    if let point = bound.epsilonPoint { lines.append(String(format: "point estimate   %.4f  (observed error rates)", point)) }
    if r.silentTrials > 0 { lines.append("silent trials    \(r.silentTrials) (the target released nothing; guessed \"without\")") }
    lines.append(
      r.exceedsAccountant
        ? "VERDICT          the audit exceeds the accountant: the mechanism leaks more than reported"
        : "verdict          consistent: the audited lower bound does not exceed the accountant's ε")
    lines.append(String(format: "wall time        %.2f s", r.wallSeconds))
    return lines.joined(separator: "\n")
  }
}
