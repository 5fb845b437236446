/**
 * `useDetail(props, emit, pathOf, onOpen)`: the drawer of one record, opened by `v-model:id` — it loads
 * `pathOf(id)` when the id is set, shows the server's reason and closes itself when that fails, and offers
 * `visible` (bound to the drawer), `item`, `loading`, `phone` (phone-wide when it opened) and `reload()`.
 */
import { computed, ref, watch } from "vue";
import { ElMessage } from "element-plus";
import { api } from "./api.js";
import { PHONE_QUERY } from "./phone.js";

export function useDetail(props, emit, pathOf, onOpen = () => {}) {
  const item = ref(null);
  const loading = ref(false);
  const phone = ref(false);
  const visible = computed({
    get: () => props.id !== null,
    set: (open) => { if (!open) emit("update:id", null); },
  });

  async function reload() {
    const id = props.id;
    loading.value = true;
    try {
      item.value = await api("GET", pathOf(id));
    } catch (error) {
      ElMessage.error(error.message);
      emit("update:id", null);
    } finally {
      loading.value = false;
    }
  }

  watch(() => props.id, (id) => {
    if (id === null) return;
    phone.value = window.matchMedia(PHONE_QUERY).matches;
    item.value = null;
    onOpen();
    reload();
  });

  return { item, loading, phone, visible, reload };
}
