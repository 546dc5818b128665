// Open MPI's handles (MPI_COMM_WORLD, MPI_BYTE, …) are C macros that take the address of
// library globals: Swift cannot import them, so these inline functions return them.
#ifndef FEDSIM_CMPI_SHIM_H
#define FEDSIM_CMPI_SHIM_H

#include <mpi.h>
#if defined(__linux__)
#include <malloc.h>
#endif

static inline MPI_Comm fedsim_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype fedsim_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype fedsim_mpi_int64(void) { return MPI_INT64_T; }
static inline int fedsim_mpi_success(void) { return MPI_SUCCESS; }
static inline int fedsim_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int fedsim_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

// Exchanges allocate megabyte buffers every round; by default glibc maps each afresh and unmaps
// it when freed, and the page faults cost more than the copy: keep freed memory in the heap.
static inline void fedsim_keep_freed_memory(void) {
#if defined(__linux__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest on 64-bit systems
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

#endif
