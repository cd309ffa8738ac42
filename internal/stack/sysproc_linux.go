package stack

import "syscall"

// sysProcAttr puts the child in its own process group, and asks the kernel to
// kill it if the parent dies without stopping it (e.g. SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
