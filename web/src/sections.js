/**
 * The sections of the staff app and who sees them. The menu, the router and the landing section
 * all read this list; a role sees the sections whose `roles` include it (the API checks again).
 * Each section is a lazy chunk, so the seat's page never loads the charts of 统计分析.
 */
import { Bell, ChatDotRound, DataAnalysis, OfficeBuilding, Stamp, Tickets } from "@element-plus/icons-vue";

export const SECTIONS = [
  { name: "seat", path: "/seat", title: "坐席", icon: ChatDotRound,
    roles: ["staff", "expert"], component: () => import("./sections/seat/SeatView.vue") },
  { name: "petitions", path: "/petitions", title: "诉求", icon: Tickets,
    roles: ["staff", "handler", "supervisor", "director", "operator", "admin"],
    component: () => import("./sections/petitions/PetitionsView.vue") },
  { name: "repairs", path: "/repairs", title: "信用修复", icon: Stamp,
    roles: ["staff", "handler", "supervisor", "admin"], component: () => import("./sections/repairs/RepairsView.vue") },
  { name: "campaigns", path: "/campaigns", title: "活动", icon: Bell,
    roles: ["operator", "admin"], component: () => import("./sections/campaigns/CampaignsView.vue") },
  { name: "enterprises", path: "/enterprises", title: "企业", icon: OfficeBuilding,
    roles: ["staff", "expert", "supervisor", "operator", "admin"],
    component: () => import("./sections/enterprises/EnterprisesView.vue") },
  { name: "analytics", path: "/analytics", title: "统计分析", icon: DataAnalysis,
    roles: ["operator", "admin"], component: () => import("./sections/analytics/AnalyticsView.vue") },
];

export function sectionsFor(role) {
  return SECTIONS.filter((section) => section.roles.includes(role));
}
