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
    } catch {
      FileHandle.standardError.write(Data((error.description + "\n").utf8))
      throw ExitCode(1)
    }
  }
}
