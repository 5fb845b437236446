/** The staff app's entry: Vue, the router, Element Plus in Chinese, the session restored. */
import { createApp } from "vue";
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";
import "element-plus/es/components/notification/style/css";
import "./styles.css";
import App from "./App.vue";
import { router } from "./router.js";
import { restoreSession } from "./session.js";

restoreSession();
createApp(App).use(router).mount("#app");
