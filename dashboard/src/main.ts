/** The dashboard's entry point in the browser (skeleton: the pages come next). */
import 'uplot/dist/uPlot.min.css';

const root = document.getElementById('app');
if (root !== null) root.textContent = 'rollgate dashboard';
