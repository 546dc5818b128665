// Built only with the package trait `MPI` (`swift build --traits MPI`, or scripts/build-mpi.sh):
// without it this module is empty and nothing links Open MPI.
#if MPI
  import CMPI
  import Foundation
  import Simulation

  /// The ranks of an MPI job (`mpirun -np N fedsim run …`) as a FedSim `Cluster`: exchanges are
  /// `MPI_Allgather` of the sizes followed by `MPI_Allgatherv` of the bytes, on MPI_COMM_WORLD,
  /// called from one thread at a time (the simulator's).
  public final class MPICluster: Cluster, @unchecked Sendable {
    // @unchecked Sendable: MPI is initialised with MPI_THREAD_SERIALIZED and only the simulator
    // thread calls it; `finished` is written once, on that thread.
    public let rank: Int
    public let size: Int
    public let ledger = ExchangeLedger()
    private var finished = false

    /// Initialises MPI (once per process) and joins MPI_COMM_WORLD.
    public init() throws(ClusterError) {
      var provided: Int32 = 0
      try Self.check(MPI_Init_thread(nil, nil, fedsim_mpi_thread_serialized(), &provided), "MPI_Init_thread")
      guard provided >= fedsim_mpi_thread_serialized() else {
        throw ClusterError(operation: "MPI_Init_thread", reason: "the MPI library does not allow serialized calls from several threads")
      }
      var rank: Int32 = 0
      var size: Int32 = 0
      try Self.check(MPI_Comm_rank(fedsim_mpi_comm_world(), &rank), "MPI_Comm_rank")
      try Self.check(MPI_Comm_size(fedsim_mpi_comm_world(), &size), "MPI_Comm_size")
      self.rank = Int(rank)
      self.size = Int(size)
      // Freed exchange buffers stay in the heap (`fedsim bench exchange`, 2 ranks, 1 MB per rank
      // on this machine: 4.7 ms per exchange with glibc's defaults, 0.7 ms without the faults).
      // After MPI_Init: Open MPI's memory hooks set the allocator up there.
      fedsim_keep_freed_memory()
    }

    public func allGather(_ bytes: [UInt8]) throws(ClusterError) -> [[UInt8]] {
      var mine = Int64(bytes.count)
      var counts = [Int64](repeating: 0, count: size)
      try Self.check(
        MPI_Allgather(&mine, 1, fedsim_mpi_int64(), &counts, 1, fedsim_mpi_int64(), fedsim_mpi_comm_world()), "MPI_Allgather")
      // MPI counts and displacements are 32-bit.
      let total = counts.reduce(0, +)
      guard total <= Int64(Int32.max), counts.allSatisfy({ $0 >= 0 }) else {
        throw ClusterError(operation: "MPI_Allgatherv", reason: "\(total) bytes in one exchange: more than 2 GiB")
      }
      let sizes = counts.map { Int32($0) }
      var offsets = [Int32](repeating: 0, count: size)
      for r in 1..<max(size, 1) { offsets[r] = offsets[r - 1] + sizes[r - 1] }
      var received = [UInt8](repeating: 0, count: Int(total))
      let status = bytes.withUnsafeBytes { send in
        received.withUnsafeMutableBytes { receive in
          MPI_Allgatherv(
            send.baseAddress, Int32(bytes.count), fedsim_mpi_byte(), receive.baseAddress, sizes, offsets, fedsim_mpi_byte(),
            fedsim_mpi_comm_world())
        }
      }
      try Self.check(status, "MPI_Allgatherv")
      return (0..<size).map { Array(received[Int(offsets[$0])..<Int(offsets[$0] + sizes[$0])]) }
    }

    /// MPI_Finalize, once.
    public func finish() {
      guard !finished else { return }
      finished = true
      MPI_Finalize()
    }

    private static func check(_ status: Int32, _ operation: String) throws(ClusterError) {
      guard status != fedsim_mpi_success() else { return }
      var text = [CChar](repeating: 0, count: Int(fedsim_mpi_max_error_string()) + 1)
      var length: Int32 = 0
      MPI_Error_string(status, &text, &length)
      throw ClusterError(
        operation: operation, reason: String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
  }
#endif
