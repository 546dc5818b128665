import Aggregation
import ArgumentParser
import FedSim
import Foundation

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check a scenario file (and --set overrides) without running it.",
    discussion:
      "Every problem is listed with file:line:column, the key path, what was expected and, for misspelt keys or names, a suggestion. Exit status 1 when there is any."
  )

  @Argument(help: "Scenario file (YAML).") var file: String
  @Option(name: .customLong("set"), help: "Override a field: key.path=value (repeatable).") var overrides: [String] = []

  func run() throws {
    do {
      let scenario = try ScenarioDecoder.decode(contentsOf: URL(fileURLWithPath: file), overrides: overrides)
      print(
        "\(file): valid (\(scenario.clients) clients, \(scenario.schedule.mode.rawValue) schedule, \(scenario.schedule.rounds) rounds, aggregator \(scenario.aggregator.name))"
      )
      if scenario.privacy?.level == .example {
        print("privacy: example level; ε is computed when the run starts (it needs every client's data size)")
      } else if let budget = try Runner.privacyBudget(for: scenario) {
        let calibrated = scenario.privacy?.targetEpsilon != nil
        let noise: String
        switch budget.mechanism {
        case .correlated:
          noise = String(format: "σ_cdp = %.6g, σ_cor = %.6g%@", budget.sigmaCDP, budget.sigmaCor, calibrated ? " (calibrated)" : "")
        case .central: noise = String(format: "σ on the sum = %.6g%@", budget.sigmaCDP, calibrated ? " (calibrated)" : "")
        default: noise = String(format: "σ = %.6g%@", budget.sigmaCDP, calibrated ? " (calibrated)" : "")
        }
        print(
          String(
            format: "privacy: %@ noise at user level, C = %.6g, %@, δ = %.3g → ε = %.6g after %d rounds (worst honest client)",
            budget.mechanism.rawValue, budget.clip, noise, budget.delta, budget.worstEpsilon, budget.rounds))
      }
    } catch {
      FileHandle.standardError.write(Data(("\(error)\n").utf8))
      throw ExitCode(1)
    }
  }
}
