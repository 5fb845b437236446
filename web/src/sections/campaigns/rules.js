/**
 * The reminder rules a campaign can use (GET /api/campaigns/rules: id, type, title, quiet_days), loaded once per
 * page; `ruleTitle()` names a campaign's rule in Chinese (never its id).
 */
import { ref } from "vue";
import { ElMessage } from "element-plus";
import { api } from "../../api.js";

export function useRules() {
  const rules = ref([]);
  api("GET", "/api/campaigns/rules")
    .then((data) => { rules.value = data; })
    .catch((error) => ElMessage.error(error.message));
  return rules;
}

export function ruleTitle(rules, ruleId) {
  const rule = (rules.value || rules || []).find((r) => r.id === ruleId);
  return rule ? rule.title : "规则已停用";
}
