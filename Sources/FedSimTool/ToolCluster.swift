import ArgumentParser
import FedSimMPI
import Foundation
import Simulation

/// The ranks this `fedsim` process belongs to: one process, or — in a build with the `MPI`
/// trait started by mpirun with several ranks — an MPI job whose ranks share `fedsim run`.
enum ToolCluster {
  private static let box = ClusterBox()

  /// The cluster chosen by `start()` (one process before).
  static var current: any Cluster { box.cluster }

  /// Joins the MPI job when there is one. Called once, after the BLAS kernel is chosen (that
  /// may restart the program, which MPI must not have seen initialised).
  static func start() {
    #if MPI
      guard launchedWithSeveralRanks else { return }
      do {
        box.cluster = try MPICluster()
      } catch {
        FileHandle.standardError.write(Data("error: could not join the MPI job: \(error)\n".utf8))
        exit(1)
      }
    #else
      if launchedWithSeveralRanks {
        FileHandle.standardError.write(
          Data(
            "error: started by mpirun with several ranks, but this fedsim was built without MPI: build it with scripts/build-mpi.sh (swift build --traits MPI)\n"
              .utf8))
        exit(1)
      }
    #endif
  }

  /// In an MPI job only `run` (and `bench exchange`) share the work; every other command would
  /// run once per rank, writing the same files: refused, with what to do instead.
  static func check(_ command: any ParsableCommand) throws {
    guard current.size > 1, !(command is RunCommand), !(command is ExchangeBench) else { return }
    let name = type(of: command).configuration.commandName ?? "this command"
    if current.isLeader {
      FileHandle.standardError.write(
        Data("error: `fedsim \(name)` runs in one process: only `fedsim run` is distributed over MPI ranks\n".utf8))
    }
    throw ExitCode(1)
  }

  /// Whether an MPI launcher started this process with more than one rank.
  static var launchedWithSeveralRanks: Bool {
    let environment = ProcessInfo.processInfo.environment
    return ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"].contains { environment[$0].flatMap(Int.init).map { $0 > 1 } ?? false }
  }
}

final class ClusterBox: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var value: any Cluster = SingleProcess()

  var cluster: any Cluster {
    get {
      lock.lock()
      defer { lock.unlock() }
      return value
    }
    set {
      lock.lock()
      value = newValue
      lock.unlock()
    }
  }
}
