/*
 * luaw.c - Lua workloads: kmemsim embeds LuaJIT and runs a script that
 * drives the engine through FFI calls into the exported functions of
 * kmemsim_api.h (api.c).
 *
 * This file only sets the stage; it is not on the per-event path. It
 *  - finds the Lua library (workloads/lib/kmemsim.lua) and the API header
 *    relative to the executable or the script, and puts them on
 *    package.path / in package.loaded["kmemsim.config"];
 *  - loads the library before the script, so math.random is already bound
 *    to the engine's generator when the script starts;
 *  - runs the script under a message handler that reports errors from the
 *    script's point of view ("script.lua:LINE: message"), even when the
 *    error was raised inside the library or by an FFI conversion;
 *  - at the end runs the library's finish step (pending sim.after
 *    callbacks, a --set key the script never declared).
 * A Lua error returns 2 with the message; what was recorded so far stays
 * (main.c marks the run failed and keeps its rows). A stopped run (a
 * signal: the library raises its stop object when kms_stopped() says so)
 * returns 0; the engine's status says interrupted.
 *
 * `kmemsim describe` runs the script in describe mode: sim.declare prints
 * the description and parameters and stops the script there, so nothing
 * is simulated.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "api.h"
#include "engine.h"
#include "luaw.h"

struct luaw_paths {
	char lib[2 * PATH_MAX];  /* directory holding kmemsim.lua */
	char header[2 * PATH_MAX];/* kmemsim_api.h */
	char script_dir[PATH_MAX];
};

static bool file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static void dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* Look for root/workloads/lib/kmemsim.lua and root/sim/kmemsim_api.h. */
static bool luaw_try_root(struct luaw_paths *lp, const char *root)
{
	char lua[PATH_MAX + 64];
	snprintf(lua, sizeof(lua), "%s/workloads/lib/kmemsim.lua", root);
	if (!file_exists(lua))
		return false;
	snprintf(lp->lib, sizeof(lp->lib), "%s/workloads/lib", root);
	char h[PATH_MAX + 64];
	snprintf(h, sizeof(h), "%s/sim/kmemsim_api.h", root);
	if (!file_exists(h))
		snprintf(h, sizeof(h), "%s/workloads/lib/kmemsim_api.h", root);
	snprintf(lp->header, sizeof(lp->header), "%s", h);
	return true;
}

static bool luaw_find_paths(struct luaw_paths *lp, const char *script)
{
	char exe[PATH_MAX], exedir[PATH_MAX], root[PATH_MAX + 16];
	memset(lp, 0, sizeof(*lp));
	dir_of(script, lp->script_dir, sizeof(lp->script_dir));
	const char *env = getenv("KMEMSIM_ROOT");
	if (env && luaw_try_root(lp, env))
		return true;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		dir_of(exe, exedir, sizeof(exedir));
		static const char *const up[] = { "", "/..", "/../..", "/../share/kmemsim" };
		for (size_t i = 0; i < ARRAY_SIZE(up); i++) {
			snprintf(root, sizeof(root), "%s%s", exedir, up[i]);
			if (luaw_try_root(lp, root))
				return true;
		}
	}
	/* A script in workloads/ finds its library beside it. */
	snprintf(root, sizeof(root), "%s/..", lp->script_dir);
	if (luaw_try_root(lp, root))
		return true;
	return luaw_try_root(lp, ".");
}

/*
 * Message handler: make the message point at the script. An error raised
 * in the library with error(msg, 2) already does; one from deeper (an FFI
 * conversion, a bug in the library) is re-labelled with the innermost
 * line of the script on the stack.
 */
static int luaw_msgh(lua_State *L)
{
	if (!lua_isstring(L, 1))
		return 1;   /* a table: describe's stop signal, or a script's own object */
	const char *msg = lua_tostring(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, "kmemsim.script");
	const char *script = lua_tostring(L, -1);
	if (!script)
		return 1;
	size_t sl = strlen(script);
	if (strncmp(msg, script, sl) == 0 && msg[sl] == ':')
		return lua_pushstring(L, msg), 1;
	/* Drop another file's "path:line: " (the library's) before relabelling. */
	const char *colon = strchr(msg, ':');
	if (colon && colon[1] >= '0' && colon[1] <= '9') {
		const char *q = colon + 1;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q[0] == ':' && q[1] == ' ')
			msg = q + 2;
	}
	lua_Debug ar;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar) || ar.source[0] != '@' || ar.currentline <= 0)
			continue;
		if (strcmp(ar.source + 1, script) == 0) {
			lua_pushfstring(L, "%s:%d: %s", script, ar.currentline, msg);
			return 1;
		}
	}
	lua_pushfstring(L, "%s: %s", script, msg);
	return 1;
}

/* Call the function on top of the stack with the message handler; on error
 * copy the message to err and return false. */
static bool luaw_pcall(lua_State *L, int nargs, int nres, char *err, size_t errlen, bool *stopped)
{
	int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, luaw_msgh);
	lua_insert(L, base);
	int rc = lua_pcall(L, nargs, nres, base);
	lua_remove(L, base);
	if (rc == 0)
		return true;
	if (stopped && lua_istable(L, -1)) {
		lua_getfield(L, -1, "kmemsim_stop");
		*stopped = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	const char *m = lua_tostring(L, -1);
	snprintf(err, errlen, "%s", m ? m : "error object is not a string");
	lua_pop(L, 1);
	return false;
}

/* A fresh state with the library loaded; NULL + err on failure. */
static lua_State *luaw_open(const char *script, bool describe, char *err, size_t errlen)
{
	struct luaw_paths lp;
	if (!luaw_find_paths(&lp, script)) {
		snprintf(err, errlen, "%s: cannot find workloads/lib/kmemsim.lua "
			 "(looked beside the executable and the script; set KMEMSIM_ROOT)", script);
		return NULL;
	}
	lua_State *L = luaL_newstate();
	if (!L) {
		snprintf(err, errlen, "cannot create a Lua state");
		return NULL;
	}
	luaL_openlibs(L);
	lua_pushstring(L, script);
	lua_setfield(L, LUA_REGISTRYINDEX, "kmemsim.script");

	/* package.path: the library, then modules beside the script. */
	lua_getglobal(L, "package");
	lua_pushfstring(L, "%s/?.lua;%s/?.lua;", lp.lib, lp.script_dir);
	lua_getfield(L, -2, "path");
	lua_concat(L, 2);
	lua_setfield(L, -2, "path");
	/* package.loaded["kmemsim.config"]: what the library needs to know. */
	lua_getfield(L, -1, "loaded");
	lua_createtable(L, 0, 4);
	lua_pushstring(L, lp.header);
	lua_setfield(L, -2, "api_header");
	lua_pushstring(L, script);
	lua_setfield(L, -2, "script");
	lua_pushboolean(L, describe);
	lua_setfield(L, -2, "describe");
	lua_setfield(L, -2, "kmemsim.config");
	lua_pop(L, 2);

	lua_getglobal(L, "require");
	lua_pushstring(L, "kmemsim");
	if (!luaw_pcall(L, 1, 0, err, errlen, NULL)) {
		lua_close(L);
		return NULL;
	}
	return L;
}

/* require("kmemsim")[name]() */
static bool luaw_call_lib(lua_State *L, const char *name, char *err, size_t errlen, bool *stopped)
{
	lua_getglobal(L, "require");
	lua_pushstring(L, "kmemsim");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
	return luaw_pcall(L, 0, 0, err, errlen, stopped);
}

int luaw_run(struct sim *s, const char *script, char *err, size_t errlen)
{
	kms_api_bind(s, s->p);
	lua_State *L = luaw_open(script, false, err, errlen);
	if (!L) {
		kms_api_bind(NULL, NULL);
		return 2;
	}
	bool ok = false, stopped = false;
	if (luaL_loadfile(L, script) != 0) {
		snprintf(err, errlen, "%s", lua_tostring(L, -1));
	} else if (luaw_pcall(L, 0, 0, err, errlen, &stopped)) {
		ok = luaw_call_lib(L, "_finish", err, errlen, &stopped);
	}
	/* The library's stop error: the run was stopped (a signal, a limit),
	 * not broken; the engine holds its status. */
	if (!ok && stopped && sim_stopped(s))
		ok = true;
	lua_close(L);
	kms_api_bind(NULL, NULL);
	return ok ? 0 : 2;
}

int luaw_describe(const char *script, FILE *out)
{
	char err[1024] = "";
	if (access(script, R_OK) != 0) {
		fprintf(stderr, "kmemsim: %s: cannot read the script\n", script);
		return 2;
	}
	kms_api_bind(NULL, NULL);
	lua_State *L = luaw_open(script, true, err, sizeof(err));
	if (!L) {
		fprintf(stderr, "kmemsim: %s\n", err);
		return 2;
	}
	fflush(out);
	int rc = 0;
	bool stopped = false;
	if (luaL_loadfile(L, script) != 0) {
		fprintf(stderr, "kmemsim: %s\n", lua_tostring(L, -1));
		rc = 2;
	} else if (luaw_pcall(L, 0, 0, err, sizeof(err), &stopped)) {
		/* The script never declared anything. */
		if (!luaw_call_lib(L, "_describe", err, sizeof(err), NULL)) {
			fprintf(stderr, "kmemsim: %s\n", err);
			rc = 2;
		}
	} else if (!stopped) {
		fprintf(stderr, "kmemsim: %s\n", err);
		rc = 2;
	}
	lua_close(L);
	return rc;
}
