/**
 * Routes of the staff app under /staff/ (HTML5 history; the API serves index.html for every
 * /staff/... path). A section the role may not see sends the user to the first one it may.
 */
import { createRouter, createWebHistory } from "vue-router";
import { SECTIONS, sectionsFor } from "./sections.js";
import { session } from "./session.js";

function landing() {
  const [first] = session.staff ? sectionsFor(session.staff.role) : [];
  return first ? first.path : "/";
}

// The former console and dashboard addresses are served this app: show them as the sections they became
// (before the router reads the address).
const FORMER = { "/console": "/staff/seat", "/dashboard": "/staff/analytics" };
const former = FORMER[window.location.pathname.replace(/\/$/, "")];
if (former) window.history.replaceState(null, "", former + window.location.hash);

export const router = createRouter({
  history: createWebHistory("/staff/"),
  routes: [
    ...SECTIONS.map((s) => ({ path: `${s.path}/:rest(.*)*`, name: s.name, component: s.component,
      meta: { title: s.title, roles: s.roles } })),
    // Any other path (/staff/ itself, an old bookmark): the role's first section once someone is logged in.
    { path: "/:rest(.*)*", name: "other", component: () => import("./views/NoSection.vue"), meta: { title: "工作台" } },
  ],
});

router.beforeEach((to) => {
  if (!session.staff) return true; // the login page is shown instead of any route; the path is kept
  const roles = to.meta.roles;
  if (!roles || !roles.includes(session.staff.role)) {
    const target = landing();
    return target === to.path ? true : target;
  }
  return true;
});

router.afterEach((to) => {
  document.title = `${to.meta.title || "工作台"} · 智能办税助手`;
});
