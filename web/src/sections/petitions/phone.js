/** `usePhone()`: a ref that is true while the window is phone-wide (the shell's own breakpoint, 767px). */
import { onBeforeUnmount, ref } from "vue";

const QUERY = "(max-width: 767px)";

export function usePhone() {
  const media = window.matchMedia(QUERY);
  const phone = ref(media.matches);
  const changed = (event) => { phone.value = event.matches; };
  media.addEventListener("change", changed);
  onBeforeUnmount(() => media.removeEventListener("change", changed));
  return phone;
}
