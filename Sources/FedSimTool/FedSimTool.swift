import Aggregation
import ArgumentParser
import Learning

/// The `fedsim` command-line tool as a library: a package that defines its own aggregators gets
/// the whole CLI — `run`, `sweep`, `validate`, `report`, `privacy`, `bench`, … with their flags,
/// progress output and exit codes — from a one-line `main.swift`:
///
/// ```swift
/// import FedSimTool
///
/// FedSimTool.main(aggregators: [Krum.self])
/// ```
///
/// Scenarios then name the registered aggregators in `aggregator.name` like the built-in ones.
public enum FedSimTool {
  /// Registers `aggregators`, picks a verified OpenBLAS kernel (which may restart the program with
  /// `OPENBLAS_CORETYPE` set; see `BLASKernelSelection`), joins the MPI job when built with the
  /// `MPI` trait and started by mpirun, then parses the command line and runs the subcommand.
  /// Does not return: the process exits with the command's status.
  public static func main(aggregators: [any Aggregator.Type] = [], arguments: [String]? = nil) -> Never {
    for aggregator in aggregators { AggregatorRegistry.shared.register(aggregator) }
    BLASKernelSelection.configure()
    ToolCluster.start()
    do {
      var command = try FedSimCommand.parseAsRoot(arguments)
      try ToolCluster.check(command)
      try command.run()
      ToolCluster.current.finish()
      FedSimCommand.exit()
    } catch {
      ToolCluster.current.finish()
      FedSimCommand.exit(withError: error)
    }
  }
}
