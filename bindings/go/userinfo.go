package nats

/*
#include "shim.h"
*/
import "C"

import (
	"runtime/cgo"
	"sync"
	"unsafe"
)

// userInfoCB is the userdata of natsrs_options_set_user_info_handler (UserInfoHandler). The
// core borrows the strings it returns until it copies them, before the next call: the C copies
// are owned here, replaced at each call and freed when the core releases the handle.
type userInfoCB struct {
	cb   UserInfoCB
	core *connCore

	mu   sync.Mutex
	user *C.char
	pass *C.char
}

func (u *userInfoCB) setC(user, pass string) (*C.char, *C.char) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.freeLocked()
	u.user = C.CString(user)
	u.pass = C.CString(pass)
	return u.user, u.pass
}

func (u *userInfoCB) freeLocked() {
	if u.user != nil {
		C.free(unsafe.Pointer(u.user))
		u.user = nil
	}
	if u.pass != nil {
		C.free(unsafe.Pointer(u.pass))
		u.pass = nil
	}
}

func (u *userInfoCB) releaseC() {
	u.mu.Lock()
	u.freeLocked()
	u.mu.Unlock()
}

//export goOnUserInfo
func goOnUserInfo(ud C.uintptr_t, userOut **C.char, passOut **C.char) C.int {
	u, _ := handleValue(cgo.Handle(ud)).(*userInfoCB)
	if u == nil || u.cb == nil {
		return C.int(stAuthorization)
	}
	var user, pass string
	ok := false
	u.core.safeCall(nil, func() {
		user, pass = u.cb()
		ok = true
	})
	if !ok {
		return C.int(stAuthorization)
	}
	*userOut, *passOut = u.setC(user, pass)
	return C.int(stOK)
}
